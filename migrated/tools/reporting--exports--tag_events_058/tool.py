"""Tag events 058: index notes for the reporting pipeline."""

METADATA = {"name": "tag_events_058", "description": "Tag events 058: index notes for the reporting pipeline.", "category": "reporting", "version": "2.0.17", "author": "M. García", "tags": ["links", "notes"], "source_key": "reporting/exports/tag_events_058.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_events_058', 'query': query}


def rank_notes_0(items, limit=45):
    """Rank notes (helper 0)."""
    return sorted(items)[:limit]


def index_queries_1(items, limit=33):
    """Index queries (helper 1)."""
    return sorted(items)[:limit]


def rank_queries_2(items, limit=58):
    """Rank queries (helper 2)."""
    return sorted(items)[:limit]


def extract_links_3(items, limit=78):
    """Extract links (helper 3)."""
    return sorted(items)[:limit]
