"""Classify events 071: extract events for the memory pipeline."""

METADATA = {"name": "classify_events_071", "description": "Classify events 071: extract events for the memory pipeline.", "category": "memory", "version": "0.0.16", "author": "S. Lindqvist", "tags": ["records", "topics"], "source_key": "ingest/crawlers/classify_events_071.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_events_071', 'query': query}


def classify_entities_0(items, limit=47):
    """Classify entities (helper 0)."""
    return sorted(items)[:limit]


def fetch_queries_1(items, limit=11):
    """Fetch queries (helper 1)."""
    return sorted(items)[:limit]


def classify_events_2(items, limit=5):
    """Classify events (helper 2)."""
    return sorted(items)[:limit]


def classify_documents_3(items, limit=79):
    """Classify documents (helper 3)."""
    return sorted(items)[:limit]
