"""Resolve signals 089: resolve links for the memory pipeline."""

METADATA = {"name": "resolve_signals_089", "description": "Resolve signals 089: resolve links for the memory pipeline.", "category": "memory", "version": "0.5.5", "author": "A. Moreau", "tags": ["events", "signals"], "source_key": "retrieval/ranking/resolve_signals_089.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_signals_089', 'query': query}


def rank_queries_0(items, limit=73):
    """Rank queries (helper 0)."""
    return sorted(items)[:limit]


def score_records_1(items, limit=84):
    """Score records (helper 1)."""
    return sorted(items)[:limit]
