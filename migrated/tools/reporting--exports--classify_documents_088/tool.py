"""Classify documents 088: fetch notes for the memory pipeline."""

METADATA = {"name": "classify_documents_088", "description": "Classify documents 088: fetch notes for the memory pipeline.", "category": "memory", "version": "1.8.1", "author": "S. Lindqvist", "tags": ["events", "queries"], "source_key": "reporting/exports/classify_documents_088.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_documents_088', 'query': query}


def fetch_topics_0(items, limit=93):
    """Fetch topics (helper 0)."""
    return sorted(items)[:limit]


def index_topics_1(items, limit=23):
    """Index topics (helper 1)."""
    return sorted(items)[:limit]


def resolve_signals_2(items, limit=27):
    """Resolve signals (helper 2)."""
    return sorted(items)[:limit]


def summarize_topics_3(items, limit=58):
    """Summarize topics (helper 3)."""
    return sorted(items)[:limit]
