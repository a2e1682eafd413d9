"""Fetch signals 169: fetch notes for the retrieval pipeline."""

METADATA = {"name": "fetch_signals_169", "description": "Fetch signals 169: fetch notes for the retrieval pipeline.", "category": "retrieval", "version": "2.0.11", "author": "A. Moreau", "tags": ["documents", "topics"], "source_key": "retrieval/search/fetch_signals_169.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_signals_169', 'query': query}


def score_links_0(items, limit=87):
    """Score links (helper 0)."""
    return sorted(items)[:limit]
