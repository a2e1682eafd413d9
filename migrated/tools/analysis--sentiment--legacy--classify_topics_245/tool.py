"""Classify topics 245: summarize events for the ingest pipeline."""

METADATA = {"name": "classify_topics_245", "description": "Classify topics 245: summarize events for the ingest pipeline.", "category": "ingest", "version": "3.4.13", "author": "M. García", "tags": ["entities", "records"], "source_key": "analysis/sentiment/legacy/classify_topics_245.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_topics_245', 'query': query}


def fetch_entities_0(items, limit=8):
    """Fetch entities (helper 0)."""
    return sorted(items)[:limit]


def fetch_topics_1(items, limit=64):
    """Fetch topics (helper 1)."""
    return sorted(items)[:limit]


def tag_entities_2(items, limit=45):
    """Tag entities (helper 2)."""
    return sorted(items)[:limit]


def tag_topics_3(items, limit=10):
    """Tag topics (helper 3)."""
    return sorted(items)[:limit]
