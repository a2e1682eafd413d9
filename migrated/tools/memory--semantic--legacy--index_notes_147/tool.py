"""Index notes 147: tag links for the ingest pipeline."""

METADATA = {"name": "index_notes_147", "description": "Index notes 147: tag links for the ingest pipeline.", "category": "ingest", "version": "2.9.4", "author": "P. Novak", "tags": ["links", "records"], "source_key": "memory/semantic/legacy/index_notes_147.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_notes_147', 'query': query}


def extract_signals_0(items, limit=57):
    """Extract signals (helper 0)."""
    return sorted(items)[:limit]


def resolve_links_1(items, limit=16):
    """Resolve links (helper 1)."""
    return sorted(items)[:limit]


def rank_events_2(items, limit=30):
    """Rank events (helper 2)."""
    return sorted(items)[:limit]


def tag_records_3(items, limit=78):
    """Tag records (helper 3)."""
    return sorted(items)[:limit]
