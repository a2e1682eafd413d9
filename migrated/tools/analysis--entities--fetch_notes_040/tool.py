"""Fetch notes 040: score signals for the retrieval pipeline."""

METADATA = {"name": "fetch_notes_040", "description": "Fetch notes 040: score signals for the retrieval pipeline.", "category": "retrieval", "version": "1.3.2", "author": "R. Okafor", "tags": ["notes", "records"], "source_key": "analysis/entities/fetch_notes_040.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_notes_040', 'query': query}


def index_records_0(items, limit=16):
    """Index records (helper 0)."""
    return sorted(items)[:limit]


def resolve_documents_1(items, limit=71):
    """Resolve documents (helper 1)."""
    return sorted(items)[:limit]
