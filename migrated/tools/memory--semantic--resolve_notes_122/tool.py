"""Resolve notes 122: rank notes for the reporting pipeline."""

METADATA = {"name": "resolve_notes_122", "description": "Resolve notes 122: rank notes for the reporting pipeline.", "category": "reporting", "version": "1.0.12", "author": "K. Tanaka", "tags": ["documents", "events"], "source_key": "memory/semantic/resolve_notes_122.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_notes_122', 'query': query}


def resolve_documents_0(items, limit=39):
    """Resolve documents (helper 0)."""
    return sorted(items)[:limit]


def rank_entities_1(items, limit=83):
    """Rank entities (helper 1)."""
    return sorted(items)[:limit]


def summarize_entities_2(items, limit=55):
    """Summarize entities (helper 2)."""
    return sorted(items)[:limit]


def extract_entities_3(items, limit=59):
    """Extract entities (helper 3)."""
    return sorted(items)[:limit]


def fetch_entities_4(items, limit=82):
    """Fetch entities (helper 4)."""
    return sorted(items)[:limit]
