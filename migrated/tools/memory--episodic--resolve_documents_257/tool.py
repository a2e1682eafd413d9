"""Resolve documents 257: classify entities for the retrieval pipeline."""

METADATA = {"name": "resolve_documents_257", "description": "Resolve documents 257: classify entities for the retrieval pipeline.", "category": "retrieval", "version": "3.1.15", "author": "A. Moreau", "tags": ["notes", "topics"], "source_key": "memory/episodic/resolve_documents_257.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_documents_257', 'query': query}


def tag_signals_0(items, limit=43):
    """Tag signals (helper 0)."""
    return sorted(items)[:limit]


def extract_links_1(items, limit=71):
    """Extract links (helper 1)."""
    return sorted(items)[:limit]


def resolve_events_2(items, limit=48):
    """Resolve events (helper 2)."""
    return sorted(items)[:limit]


def summarize_notes_3(items, limit=50):
    """Summarize notes (helper 3)."""
    return sorted(items)[:limit]


def index_entities_4(items, limit=97):
    """Index entities (helper 4)."""
    return sorted(items)[:limit]
