"""Rank events 244: fetch signals for the reporting pipeline."""

METADATA = {"name": "rank_events_244", "description": "Rank events 244: fetch signals for the reporting pipeline.", "category": "reporting", "version": "3.9.11", "author": "P. Novak", "tags": ["documents", "entities"], "source_key": "retrieval/search/rank_events_244.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_events_244', 'query': query}


def tag_signals_0(items, limit=59):
    """Tag signals (helper 0)."""
    return sorted(items)[:limit]


def extract_links_1(items, limit=25):
    """Extract links (helper 1)."""
    return sorted(items)[:limit]
