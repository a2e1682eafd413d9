"""Resolve topics 105: index notes for the memory pipeline."""

METADATA = {"name": "resolve_topics_105", "description": "Resolve topics 105: index notes for the memory pipeline.", "category": "memory", "version": "2.6.4", "author": "R. Okafor", "tags": ["records", "topics"], "source_key": "analysis/sentiment/legacy/resolve_topics_105.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_topics_105', 'query': query}


def summarize_queries_0(items, limit=67):
    """Summarize queries (helper 0)."""
    return sorted(items)[:limit]


def rank_documents_1(items, limit=54):
    """Rank documents (helper 1)."""
    return sorted(items)[:limit]


def fetch_queries_2(items, limit=75):
    """Fetch queries (helper 2)."""
    return sorted(items)[:limit]


def resolve_events_3(items, limit=86):
    """Resolve events (helper 3)."""
    return sorted(items)[:limit]


def fetch_events_4(items, limit=7):
    """Fetch events (helper 4)."""
    return sorted(items)[:limit]
