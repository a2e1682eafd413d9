"""Rank topics 003: index queries for the ingest pipeline."""

METADATA = {"name": "rank_topics_003", "description": "Rank topics 003: index queries for the ingest pipeline.", "category": "ingest", "version": "0.0.1", "author": "K. Tanaka", "tags": ["documents", "events"], "source_key": "reporting/summaries/rank_topics_003.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_topics_003', 'query': query}


def score_events_0(items, limit=31):
    """Score events (helper 0)."""
    return sorted(items)[:limit]


def tag_records_1(items, limit=91):
    """Tag records (helper 1)."""
    return sorted(items)[:limit]
