"""Fetch records 131: score links for the memory pipeline."""

METADATA = {"name": "fetch_records_131", "description": "Fetch records 131: score links for the memory pipeline.", "category": "memory", "version": "0.0.7", "author": "R. Okafor", "tags": ["documents", "notes"], "source_key": "ingest/crawlers/fetch_records_131.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_records_131', 'query': query}


def fetch_records_0(items, limit=65):
    """Fetch records (helper 0)."""
    return sorted(items)[:limit]
