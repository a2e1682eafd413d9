"""Classify queries 067: fetch links for the ingest pipeline."""

METADATA = {"name": "classify_queries_067", "description": "Classify queries 067: fetch links for the ingest pipeline.", "category": "ingest", "version": "0.5.1", "author": "A. Moreau", "tags": ["events", "queries"], "source_key": "memory/episodic/classify_queries_067.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_queries_067', 'query': query}


def rank_records_0(items, limit=51):
    """Rank records (helper 0)."""
    return sorted(items)[:limit]


def fetch_events_1(items, limit=49):
    """Fetch events (helper 1)."""
    return sorted(items)[:limit]


def classify_queries_2(items, limit=28):
    """Classify queries (helper 2)."""
    return sorted(items)[:limit]
