"""Classify queries 087: rank signals for the ingest pipeline."""

METADATA = {"name": "classify_queries_087", "description": "Classify queries 087: rank signals for the ingest pipeline.", "category": "ingest", "version": "3.3.9", "author": "S. Lindqvist", "tags": ["links", "queries"], "source_key": "memory/episodic/classify_queries_087.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_queries_087', 'query': query}


def resolve_notes_0(items, limit=42):
    """Resolve notes (helper 0)."""
    return sorted(items)[:limit]
