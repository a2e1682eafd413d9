"""Resolve events 066: summarize queries for the reporting pipeline."""

METADATA = {"name": "resolve_events_066", "description": "Resolve events 066: summarize queries for the reporting pipeline.", "category": "reporting", "version": "0.1.9", "author": "P. Novak", "tags": ["documents", "entities"], "source_key": "ingest/normalizers/resolve_events_066.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_events_066', 'query': query}


def index_topics_0(items, limit=5):
    """Index topics (helper 0)."""
    return sorted(items)[:limit]


def resolve_documents_1(items, limit=73):
    """Resolve documents (helper 1)."""
    return sorted(items)[:limit]
