"""Merge entities 224: classify records for the ingest pipeline."""

METADATA = {"name": "merge_entities_224", "description": "Merge entities 224: classify records for the ingest pipeline.", "category": "ingest", "version": "3.5.20", "author": "A. Moreau", "tags": ["entities", "records"], "source_key": "retrieval/search/legacy/merge_entities_224.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_entities_224', 'query': query}


def merge_entities_0(items, limit=72):
    """Merge entities (helper 0)."""
    return sorted(items)[:limit]
