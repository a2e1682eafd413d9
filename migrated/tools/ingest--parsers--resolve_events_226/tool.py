"""Resolve events 226: tag links for the reporting pipeline."""

METADATA = {"name": "resolve_events_226", "description": "Resolve events 226: tag links for the reporting pipeline.", "category": "reporting", "version": "1.5.10", "author": "P. Novak", "tags": ["events", "topics"], "source_key": "ingest/parsers/resolve_events_226.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_events_226', 'query': query}


def fetch_queries_0(items, limit=9):
    """Fetch queries (helper 0)."""
    return sorted(items)[:limit]


def index_entities_1(items, limit=86):
    """Index entities (helper 1)."""
    return sorted(items)[:limit]


def index_signals_2(items, limit=50):
    """Index signals (helper 2)."""
    return sorted(items)[:limit]
