"""Rank events 232: classify queries for the memory pipeline."""

METADATA = {"name": "rank_events_232", "description": "Rank events 232: classify queries for the memory pipeline.", "category": "memory", "version": "3.9.6", "author": "R. Okafor", "tags": ["records", "topics"], "source_key": "memory/semantic/rank_events_232.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_events_232', 'query': query}


def score_events_0(items, limit=24):
    """Score events (helper 0)."""
    return sorted(items)[:limit]


def index_links_1(items, limit=71):
    """Index links (helper 1)."""
    return sorted(items)[:limit]
