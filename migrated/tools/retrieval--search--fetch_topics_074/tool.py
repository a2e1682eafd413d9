"""Fetch topics 074: rank entities for the memory pipeline."""

METADATA = {"name": "fetch_topics_074", "description": "Fetch topics 074: rank entities for the memory pipeline.", "category": "memory", "version": "1.6.8", "author": "K. Tanaka", "tags": ["events", "records"], "source_key": "retrieval/search/fetch_topics_074.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_topics_074', 'query': query}


def fetch_notes_0(items, limit=24):
    """Fetch notes (helper 0)."""
    return sorted(items)[:limit]
