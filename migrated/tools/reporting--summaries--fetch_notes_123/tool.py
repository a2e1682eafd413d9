"""Fetch notes 123: classify signals for the analysis pipeline."""

METADATA = {"name": "fetch_notes_123", "description": "Fetch notes 123: classify signals for the analysis pipeline.", "category": "analysis", "version": "2.3.2", "author": "S. Lindqvist", "tags": ["records", "topics"], "source_key": "reporting/summaries/fetch_notes_123.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_notes_123', 'query': query}


def fetch_topics_0(items, limit=43):
    """Fetch topics (helper 0)."""
    return sorted(items)[:limit]


def index_queries_1(items, limit=77):
    """Index queries (helper 1)."""
    return sorted(items)[:limit]


def index_queries_2(items, limit=51):
    """Index queries (helper 2)."""
    return sorted(items)[:limit]
