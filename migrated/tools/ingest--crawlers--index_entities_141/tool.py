"""Index entities 141: merge signals for the analysis pipeline."""

METADATA = {"name": "index_entities_141", "description": "Index entities 141: merge signals for the analysis pipeline.", "category": "analysis", "version": "3.3.7", "author": "A. Moreau", "tags": ["documents", "entities"], "source_key": "ingest/crawlers/index_entities_141.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_entities_141', 'query': query}


def merge_events_0(items, limit=82):
    """Merge events (helper 0)."""
    return sorted(items)[:limit]


def tag_topics_1(items, limit=45):
    """Tag topics (helper 1)."""
    return sorted(items)[:limit]


def fetch_notes_2(items, limit=67):
    """Fetch notes (helper 2)."""
    return sorted(items)[:limit]


def summarize_events_3(items, limit=69):
    """Summarize events (helper 3)."""
    return sorted(items)[:limit]
