"""Tag signals 177: rank topics for the ingest pipeline."""

METADATA = {"name": "tag_signals_177", "description": "Tag signals 177: rank topics for the ingest pipeline.", "category": "ingest", "version": "1.2.16", "author": "A. Moreau", "tags": ["links", "records"], "source_key": "memory/semantic/tag_signals_177.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_signals_177', 'query': query}


def fetch_signals_0(items, limit=13):
    """Fetch signals (helper 0)."""
    return sorted(items)[:limit]
