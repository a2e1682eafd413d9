"""Classify links 026: classify events for the memory pipeline."""

METADATA = {"name": "classify_links_026", "description": "Classify links 026: classify events for the memory pipeline.", "category": "memory", "version": "2.0.0", "author": "A. Moreau", "tags": ["queries", "records"], "source_key": "ingest/normalizers/classify_links_026.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_links_026', 'query': query}


def tag_queries_0(items, limit=40):
    """Tag queries (helper 0)."""
    return sorted(items)[:limit]
