"""Tag entities 090: score events for the ingest pipeline."""

METADATA = {"name": "tag_entities_090", "description": "Tag entities 090: score events for the ingest pipeline.", "category": "ingest", "version": "0.4.18", "author": "R. Okafor", "tags": ["links", "queries"], "source_key": "analysis/topics/tag_entities_090.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_entities_090', 'query': query}


def classify_links_0(items, limit=22):
    """Classify links (helper 0)."""
    return sorted(items)[:limit]


def resolve_notes_1(items, limit=77):
    """Resolve notes (helper 1)."""
    return sorted(items)[:limit]


def extract_notes_2(items, limit=24):
    """Extract notes (helper 2)."""
    return sorted(items)[:limit]


def tag_records_3(items, limit=3):
    """Tag records (helper 3)."""
    return sorted(items)[:limit]
