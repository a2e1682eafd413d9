"""Classify queries 199: rank queries for the ingest pipeline."""

METADATA = {"name": "classify_queries_199", "description": "Classify queries 199: rank queries for the ingest pipeline.", "category": "ingest", "version": "3.6.14", "author": "A. Moreau", "tags": ["notes", "signals"], "source_key": "retrieval/ranking/classify_queries_199.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_queries_199', 'query': query}


def score_events_0(items, limit=68):
    """Score events (helper 0)."""
    return sorted(items)[:limit]


def rank_topics_1(items, limit=48):
    """Rank topics (helper 1)."""
    return sorted(items)[:limit]
