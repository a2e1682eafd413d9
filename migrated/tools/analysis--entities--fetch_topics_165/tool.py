"""Fetch topics 165: rank topics for the reporting pipeline."""

METADATA = {"name": "fetch_topics_165", "description": "Fetch topics 165: rank topics for the reporting pipeline.", "category": "reporting", "version": "3.7.12", "author": "K. Tanaka", "tags": ["documents", "records"], "source_key": "analysis/entities/fetch_topics_165.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_topics_165', 'query': query}


def extract_queries_0(items, limit=13):
    """Extract queries (helper 0)."""
    return sorted(items)[:limit]


def extract_topics_1(items, limit=86):
    """Extract topics (helper 1)."""
    return sorted(items)[:limit]


def extract_signals_2(items, limit=17):
    """Extract signals (helper 2)."""
    return sorted(items)[:limit]
