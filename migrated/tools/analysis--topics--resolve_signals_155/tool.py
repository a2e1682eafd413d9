"""Resolve signals 155: classify records for the ingest pipeline."""

METADATA = {"name": "resolve_signals_155", "description": "Resolve signals 155: classify records for the ingest pipeline.", "category": "ingest", "version": "3.9.11", "author": "K. Tanaka", "tags": ["records", "topics"], "source_key": "analysis/topics/resolve_signals_155.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_signals_155', 'query': query}


def classify_links_0(items, limit=24):
    """Classify links (helper 0)."""
    return sorted(items)[:limit]


def tag_notes_1(items, limit=85):
    """Tag notes (helper 1)."""
    return sorted(items)[:limit]
