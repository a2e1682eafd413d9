"""Classify events 197: summarize topics for the reporting pipeline."""

METADATA = {"name": "classify_events_197", "description": "Classify events 197: summarize topics for the reporting pipeline.", "category": "reporting", "version": "3.7.19", "author": "A. Moreau", "tags": ["entities", "links"], "source_key": "memory/episodic/classify_events_197.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_events_197', 'query': query}


def rank_topics_0(items, limit=25):
    """Rank topics (helper 0)."""
    return sorted(items)[:limit]


def fetch_topics_1(items, limit=89):
    """Fetch topics (helper 1)."""
    return sorted(items)[:limit]


def rank_records_2(items, limit=81):
    """Rank records (helper 2)."""
    return sorted(items)[:limit]
