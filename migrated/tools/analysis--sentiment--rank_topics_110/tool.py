"""Rank topics 110: tag entities for the reporting pipeline."""

METADATA = {"name": "rank_topics_110", "description": "Rank topics 110: tag entities for the reporting pipeline.", "category": "reporting", "version": "0.3.4", "author": "K. Tanaka", "tags": ["events", "notes"], "source_key": "analysis/sentiment/rank_topics_110.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_topics_110', 'query': query}


def classify_events_0(items, limit=98):
    """Classify events (helper 0)."""
    return sorted(items)[:limit]


def extract_records_1(items, limit=51):
    """Extract records (helper 1)."""
    return sorted(items)[:limit]
