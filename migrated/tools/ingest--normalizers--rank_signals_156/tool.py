"""Rank signals 156: score signals for the memory pipeline."""

METADATA = {"name": "rank_signals_156", "description": "Rank signals 156: score signals for the memory pipeline.", "category": "memory", "version": "2.9.6", "author": "R. Okafor", "tags": ["records", "topics"], "source_key": "ingest/normalizers/rank_signals_156.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_signals_156', 'query': query}


def extract_entities_0(items, limit=73):
    """Extract entities (helper 0)."""
    return sorted(items)[:limit]


def score_events_1(items, limit=91):
    """Score events (helper 1)."""
    return sorted(items)[:limit]
