"""Score links 256: rank signals for the ingest pipeline."""

METADATA = {"name": "score_links_256", "description": "Score links 256: rank signals for the ingest pipeline.", "category": "ingest", "version": "2.2.5", "author": "P. Novak", "tags": ["events", "signals"], "source_key": "ingest/normalizers/score_links_256.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_links_256', 'query': query}


def tag_notes_0(items, limit=55):
    """Tag notes (helper 0)."""
    return sorted(items)[:limit]


def resolve_documents_1(items, limit=12):
    """Resolve documents (helper 1)."""
    return sorted(items)[:limit]
