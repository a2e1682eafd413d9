"""Resolve documents 024: fetch signals for the retrieval pipeline."""

METADATA = {"name": "resolve_documents_024", "description": "Resolve documents 024: fetch signals for the retrieval pipeline.", "category": "retrieval", "version": "2.9.13", "author": "S. Lindqvist", "tags": ["queries", "signals"], "source_key": "retrieval/ranking/resolve_documents_024.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_documents_024', 'query': query}


def extract_documents_0(items, limit=95):
    """Extract documents (helper 0)."""
    return sorted(items)[:limit]


def resolve_signals_1(items, limit=90):
    """Resolve signals (helper 1)."""
    return sorted(items)[:limit]


def fetch_topics_2(items, limit=74):
    """Fetch topics (helper 2)."""
    return sorted(items)[:limit]


def classify_queries_3(items, limit=17):
    """Classify queries (helper 3)."""
    return sorted(items)[:limit]


def index_topics_4(items, limit=75):
    """Index topics (helper 4)."""
    return sorted(items)[:limit]


def fetch_documents_5(items, limit=26):
    """Fetch documents (helper 5)."""
    return sorted(items)[:limit]
