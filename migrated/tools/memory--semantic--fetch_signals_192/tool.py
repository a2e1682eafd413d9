"""Fetch signals 192: classify topics for the memory pipeline."""

METADATA = {"name": "fetch_signals_192", "description": "Fetch signals 192: classify topics for the memory pipeline.", "category": "memory", "version": "0.4.14", "author": "M. García", "tags": ["links", "signals"], "source_key": "memory/semantic/fetch_signals_192.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_signals_192', 'query': query}


def resolve_records_0(items, limit=64):
    """Resolve records (helper 0)."""
    return sorted(items)[:limit]


def classify_entities_1(items, limit=60):
    """Classify entities (helper 1)."""
    return sorted(items)[:limit]


def index_documents_2(items, limit=64):
    """Index documents (helper 2)."""
    return sorted(items)[:limit]


def extract_queries_3(items, limit=16):
    """Extract queries (helper 3)."""
    return sorted(items)[:limit]


def index_notes_4(items, limit=37):
    """Index notes (helper 4)."""
    return sorted(items)[:limit]
