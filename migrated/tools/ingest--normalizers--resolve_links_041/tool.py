"""Resolve links 041: classify signals for the reporting pipeline."""

METADATA = {"name": "resolve_links_041", "description": "Resolve links 041: classify signals for the reporting pipeline.", "category": "reporting", "version": "1.1.16", "author": "R. Okafor", "tags": ["documents", "signals"], "source_key": "ingest/normalizers/resolve_links_041.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_links_041', 'query': query}


def merge_records_0(items, limit=71):
    """Merge records (helper 0)."""
    return sorted(items)[:limit]
