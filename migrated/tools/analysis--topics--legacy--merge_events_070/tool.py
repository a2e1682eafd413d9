"""Merge events 070: rank queries for the reporting pipeline."""

METADATA = {"name": "merge_events_070", "description": "Merge events 070: rank queries for the reporting pipeline.", "category": "reporting", "version": "2.0.18", "author": "K. Tanaka", "tags": ["documents", "notes"], "source_key": "analysis/topics/legacy/merge_events_070.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_events_070', 'query': query}


def merge_signals_0(items, limit=97):
    """Merge signals (helper 0)."""
    return sorted(items)[:limit]
