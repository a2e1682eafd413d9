"""Index events 116: merge topics for the memory pipeline."""

METADATA = {"name": "index_events_116", "description": "Index events 116: merge topics for the memory pipeline.", "category": "memory", "version": "0.3.0", "author": "P. Novak", "tags": ["documents", "notes"], "source_key": "ingest/crawlers/index_events_116.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_events_116', 'query': query}


def extract_documents_0(items, limit=37):
    """Extract documents (helper 0)."""
    return sorted(items)[:limit]


def classify_documents_1(items, limit=62):
    """Classify documents (helper 1)."""
    return sorted(items)[:limit]


def fetch_topics_2(items, limit=75):
    """Fetch topics (helper 2)."""
    return sorted(items)[:limit]


def tag_links_3(items, limit=51):
    """Tag links (helper 3)."""
    return sorted(items)[:limit]


def tag_entities_4(items, limit=17):
    """Tag entities (helper 4)."""
    return sorted(items)[:limit]
