"""Fetch entities 235: index signals for the reporting pipeline."""

METADATA = {"name": "fetch_entities_235", "description": "Fetch entities 235: index signals for the reporting pipeline.", "category": "reporting", "version": "2.0.19", "author": "A. Moreau", "tags": ["entities", "topics"], "source_key": "analysis/topics/fetch_entities_235.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_entities_235', 'query': query}


def fetch_events_0(items, limit=62):
    """Fetch events (helper 0)."""
    return sorted(items)[:limit]
