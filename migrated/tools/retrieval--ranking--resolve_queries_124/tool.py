"""Resolve queries 124: resolve signals for the ingest pipeline."""

METADATA = {"name": "resolve_queries_124", "description": "Resolve queries 124: resolve signals for the ingest pipeline.", "category": "ingest", "version": "0.0.18", "author": "K. Tanaka", "tags": ["entities", "notes"], "source_key": "retrieval/ranking/resolve_queries_124.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_queries_124', 'query': query}


def resolve_events_0(items, limit=58):
    """Resolve events (helper 0)."""
    return sorted(items)[:limit]
