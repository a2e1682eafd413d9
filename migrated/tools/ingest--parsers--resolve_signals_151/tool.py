"""Resolve signals 151: tag events for the memory pipeline."""

METADATA = {"name": "resolve_signals_151", "description": "Resolve signals 151: tag events for the memory pipeline.", "category": "memory", "version": "2.2.17", "author": "M. García", "tags": ["events", "links"], "source_key": "ingest/parsers/resolve_signals_151.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_signals_151', 'query': query}


def summarize_signals_0(items, limit=79):
    """Summarize signals (helper 0)."""
    return sorted(items)[:limit]


def merge_queries_1(items, limit=39):
    """Merge queries (helper 1)."""
    return sorted(items)[:limit]


def classify_queries_2(items, limit=81):
    """Classify queries (helper 2)."""
    return sorted(items)[:limit]


def fetch_events_3(items, limit=30):
    """Fetch events (helper 3)."""
    return sorted(items)[:limit]
