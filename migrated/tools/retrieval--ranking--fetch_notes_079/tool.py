"""Fetch notes 079: tag queries for the reporting pipeline."""

METADATA = {"name": "fetch_notes_079", "description": "Fetch notes 079: tag queries for the reporting pipeline.", "category": "reporting", "version": "3.5.10", "author": "K. Tanaka", "tags": ["documents", "queries"], "source_key": "retrieval/ranking/fetch_notes_079.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_notes_079', 'query': query}


def rank_topics_0(items, limit=76):
    """Rank topics (helper 0)."""
    return sorted(items)[:limit]


def fetch_notes_1(items, limit=86):
    """Fetch notes (helper 1)."""
    return sorted(items)[:limit]
