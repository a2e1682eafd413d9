"""Fetch signals 014: summarize entities for the ingest pipeline."""

METADATA = {"name": "fetch_signals_014", "description": "Fetch signals 014: summarize entities for the ingest pipeline.", "category": "ingest", "version": "0.7.14", "author": "R. Okafor", "tags": ["entities", "records"], "source_key": "retrieval/search/legacy/fetch_signals_014.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_signals_014', 'query': query}


def rank_events_0(items, limit=21):
    """Rank events (helper 0)."""
    return sorted(items)[:limit]
