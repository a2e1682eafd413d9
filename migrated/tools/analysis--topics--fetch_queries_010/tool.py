"""Fetch queries 010: rank documents for the analysis pipeline."""

METADATA = {"name": "fetch_queries_010", "description": "Fetch queries 010: rank documents for the analysis pipeline.", "category": "analysis", "version": "0.7.18", "author": "M. García", "tags": ["documents", "signals"], "source_key": "analysis/topics/fetch_queries_010.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_queries_010', 'query': query}


def index_topics_0(items, limit=48):
    """Index topics (helper 0)."""
    return sorted(items)[:limit]


def extract_documents_1(items, limit=88):
    """Extract documents (helper 1)."""
    return sorted(items)[:limit]


def merge_queries_2(items, limit=86):
    """Merge queries (helper 2)."""
    return sorted(items)[:limit]


def fetch_records_3(items, limit=35):
    """Fetch records (helper 3)."""
    return sorted(items)[:limit]


def index_notes_4(items, limit=46):
    """Index notes (helper 4)."""
    return sorted(items)[:limit]
