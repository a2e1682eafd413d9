"""Summarize documents 059: resolve records for the reporting pipeline."""

METADATA = {"name": "summarize_documents_059", "description": "Summarize documents 059: resolve records for the reporting pipeline.", "category": "reporting", "version": "2.1.5", "author": "S. Lindqvist", "tags": ["entities", "notes"], "source_key": "retrieval/search/summarize_documents_059.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_documents_059', 'query': query}


def resolve_documents_0(items, limit=50):
    """Resolve documents (helper 0)."""
    return sorted(items)[:limit]


def extract_signals_1(items, limit=28):
    """Extract signals (helper 1)."""
    return sorted(items)[:limit]


def fetch_links_2(items, limit=76):
    """Fetch links (helper 2)."""
    return sorted(items)[:limit]


def rank_documents_3(items, limit=1):
    """Rank documents (helper 3)."""
    return sorted(items)[:limit]


def score_documents_4(items, limit=85):
    """Score documents (helper 4)."""
    return sorted(items)[:limit]
