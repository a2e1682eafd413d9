"""Extract signals 130: extract notes for the memory pipeline."""

METADATA = {"name": "extract_signals_130", "description": "Extract signals 130: extract notes for the memory pipeline.", "category": "memory", "version": "3.9.8", "author": "M. García", "tags": ["entities", "links"], "source_key": "analysis/entities/extract_signals_130.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_signals_130', 'query': query}


def fetch_entities_0(items, limit=90):
    """Fetch entities (helper 0)."""
    return sorted(items)[:limit]


def rank_events_1(items, limit=64):
    """Rank events (helper 1)."""
    return sorted(items)[:limit]


def fetch_signals_2(items, limit=49):
    """Fetch signals (helper 2)."""
    return sorted(items)[:limit]


def tag_events_3(items, limit=88):
    """Tag events (helper 3)."""
    return sorted(items)[:limit]


def tag_documents_4(items, limit=16):
    """Tag documents (helper 4)."""
    return sorted(items)[:limit]


def resolve_notes_5(items, limit=28):
    """Resolve notes (helper 5)."""
    return sorted(items)[:limit]
