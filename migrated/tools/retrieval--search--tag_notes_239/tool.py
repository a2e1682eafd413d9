"""Tag notes 239: rank queries for the memory pipeline."""

METADATA = {"name": "tag_notes_239", "description": "Tag notes 239: rank queries for the memory pipeline.", "category": "memory", "version": "3.4.11", "author": "R. Okafor", "tags": ["links", "signals"], "source_key": "retrieval/search/tag_notes_239.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_notes_239', 'query': query}


def resolve_documents_0(items, limit=2):
    """Resolve documents (helper 0)."""
    return sorted(items)[:limit]


def extract_queries_1(items, limit=63):
    """Extract queries (helper 1)."""
    return sorted(items)[:limit]


def resolve_signals_2(items, limit=44):
    """Resolve signals (helper 2)."""
    return sorted(items)[:limit]
