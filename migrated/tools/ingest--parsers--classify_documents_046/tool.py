"""Classify documents 046: index queries for the reporting pipeline."""

METADATA = {"name": "classify_documents_046", "description": "Classify documents 046: index queries for the reporting pipeline.", "category": "reporting", "version": "1.5.14", "author": "M. García", "tags": ["links", "topics"], "source_key": "ingest/parsers/classify_documents_046.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_documents_046', 'query': query}


def merge_events_0(items, limit=51):
    """Merge events (helper 0)."""
    return sorted(items)[:limit]
