"""Resolve links 053: classify entities for the retrieval pipeline."""

METADATA = {"name": "resolve_links_053", "description": "Resolve links 053: classify entities for the retrieval pipeline.", "category": "retrieval", "version": "3.8.0", "author": "A. Moreau", "tags": ["queries", "signals"], "source_key": "reporting/summaries/resolve_links_053.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_links_053', 'query': query}


def fetch_signals_0(items, limit=82):
    """Fetch signals (helper 0)."""
    return sorted(items)[:limit]


def score_signals_1(items, limit=25):
    """Score signals (helper 1)."""
    return sorted(items)[:limit]


def classify_documents_2(items, limit=80):
    """Classify documents (helper 2)."""
    return sorted(items)[:limit]
