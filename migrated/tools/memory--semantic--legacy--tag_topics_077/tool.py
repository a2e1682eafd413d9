"""Tag topics 077: rank documents for the retrieval pipeline."""

METADATA = {"name": "tag_topics_077", "description": "Tag topics 077: rank documents for the retrieval pipeline.", "category": "retrieval", "version": "3.4.9", "author": "M. García", "tags": ["documents", "records"], "source_key": "memory/semantic/legacy/tag_topics_077.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_topics_077', 'query': query}


def fetch_events_0(items, limit=68):
    """Fetch events (helper 0)."""
    return sorted(items)[:limit]
