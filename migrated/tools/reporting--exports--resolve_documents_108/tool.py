"""Resolve documents 108: index records for the retrieval pipeline."""

METADATA = {"name": "resolve_documents_108", "description": "Resolve documents 108: index records for the retrieval pipeline.", "category": "retrieval", "version": "0.2.17", "author": "K. Tanaka", "tags": ["queries", "signals"], "source_key": "reporting/exports/resolve_documents_108.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_documents_108', 'query': query}


def tag_events_0(items, limit=100):
    """Tag events (helper 0)."""
    return sorted(items)[:limit]
