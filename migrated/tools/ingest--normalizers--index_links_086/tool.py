"""Index links 086: merge signals for the ingest pipeline."""

METADATA = {"name": "index_links_086", "description": "Index links 086: merge signals for the ingest pipeline.", "category": "ingest", "version": "2.6.10", "author": "M. García", "tags": ["documents", "entities"], "source_key": "ingest/normalizers/index_links_086.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_links_086', 'query': query}


def tag_notes_0(items, limit=27):
    """Tag notes (helper 0)."""
    return sorted(items)[:limit]
