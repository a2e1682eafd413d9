"""Summarize queries 011: summarize signals for the analysis pipeline."""

METADATA = {"name": "summarize_queries_011", "description": "Summarize queries 011: summarize signals for the analysis pipeline.", "category": "analysis", "version": "1.5.6", "author": "K. Tanaka", "tags": ["events", "links"], "source_key": "ingest/parsers/summarize_queries_011.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_queries_011', 'query': query}


def rank_documents_0(items, limit=59):
    """Rank documents (helper 0)."""
    return sorted(items)[:limit]


def tag_notes_1(items, limit=23):
    """Tag notes (helper 1)."""
    return sorted(items)[:limit]


def classify_documents_2(items, limit=94):
    """Classify documents (helper 2)."""
    return sorted(items)[:limit]
