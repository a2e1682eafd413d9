"""Index records 249: resolve queries for the ingest pipeline."""

METADATA = {"name": "index_records_249", "description": "Index records 249: resolve queries for the ingest pipeline.", "category": "ingest", "version": "2.1.20", "author": "K. Tanaka", "tags": ["documents", "signals"], "source_key": "retrieval/search/index_records_249.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_records_249', 'query': query}


def extract_notes_0(items, limit=24):
    """Extract notes (helper 0)."""
    return sorted(items)[:limit]


def tag_signals_1(items, limit=14):
    """Tag signals (helper 1)."""
    return sorted(items)[:limit]


def merge_signals_2(items, limit=79):
    """Merge signals (helper 2)."""
    return sorted(items)[:limit]


def resolve_links_3(items, limit=99):
    """Resolve links (helper 3)."""
    return sorted(items)[:limit]
