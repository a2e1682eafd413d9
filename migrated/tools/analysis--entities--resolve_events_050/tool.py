"""Resolve events 050: merge signals for the reporting pipeline."""

METADATA = {"name": "resolve_events_050", "description": "Resolve events 050: merge signals for the reporting pipeline.", "category": "reporting", "version": "3.8.9", "author": "P. Novak", "tags": ["notes", "records"], "source_key": "analysis/entities/resolve_events_050.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_events_050', 'query': query}


def fetch_topics_0(items, limit=87):
    """Fetch topics (helper 0)."""
    return sorted(items)[:limit]
