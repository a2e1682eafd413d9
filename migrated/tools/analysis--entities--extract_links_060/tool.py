"""Extract links 060: summarize signals for the ingest pipeline."""

METADATA = {"name": "extract_links_060", "description": "Extract links 060: summarize signals for the ingest pipeline.", "category": "ingest", "version": "3.0.8", "author": "M. García", "tags": ["notes", "queries"], "source_key": "analysis/entities/extract_links_060.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_links_060', 'query': query}


def extract_queries_0(items, limit=47):
    """Extract queries (helper 0)."""
    return sorted(items)[:limit]


def extract_queries_1(items, limit=54):
    """Extract queries (helper 1)."""
    return sorted(items)[:limit]
