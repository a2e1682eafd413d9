"""Summarize queries 047: fetch notes for the reporting pipeline."""

METADATA = {"name": "summarize_queries_047", "description": "Summarize queries 047: fetch notes for the reporting pipeline.", "category": "reporting", "version": "2.8.11", "author": "K. Tanaka", "tags": ["events", "notes"], "source_key": "memory/episodic/summarize_queries_047.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_queries_047', 'query': query}


def rank_documents_0(items, limit=76):
    """Rank documents (helper 0)."""
    return sorted(items)[:limit]


def merge_queries_1(items, limit=48):
    """Merge queries (helper 1)."""
    return sorted(items)[:limit]


def index_documents_2(items, limit=67):
    """Index documents (helper 2)."""
    return sorted(items)[:limit]


def rank_documents_3(items, limit=83):
    """Rank documents (helper 3)."""
    return sorted(items)[:limit]
