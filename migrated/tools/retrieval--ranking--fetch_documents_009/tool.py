"""Fetch documents 009: summarize documents for the memory pipeline."""

METADATA = {"name": "fetch_documents_009", "description": "Fetch documents 009: summarize documents for the memory pipeline.", "category": "memory", "version": "3.8.9", "author": "P. Novak", "tags": ["notes", "queries"], "source_key": "retrieval/ranking/fetch_documents_009.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_documents_009', 'query': query}


def summarize_events_0(items, limit=25):
    """Summarize events (helper 0)."""
    return sorted(items)[:limit]


def merge_queries_1(items, limit=64):
    """Merge queries (helper 1)."""
    return sorted(items)[:limit]


def resolve_links_2(items, limit=75):
    """Resolve links (helper 2)."""
    return sorted(items)[:limit]


def index_entities_3(items, limit=46):
    """Index entities (helper 3)."""
    return sorted(items)[:limit]


def summarize_signals_4(items, limit=100):
    """Summarize signals (helper 4)."""
    return sorted(items)[:limit]


def score_signals_5(items, limit=2):
    """Score signals (helper 5)."""
    return sorted(items)[:limit]
