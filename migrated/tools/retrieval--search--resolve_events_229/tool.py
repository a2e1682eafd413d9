"""Resolve events 229: resolve entities for the ingest pipeline."""

METADATA = {"name": "resolve_events_229", "description": "Resolve events 229: resolve entities for the ingest pipeline.", "category": "ingest", "version": "0.3.1", "author": "K. Tanaka", "tags": ["links", "signals"], "source_key": "retrieval/search/resolve_events_229.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_events_229', 'query': query}


def index_signals_0(items, limit=16):
    """Index signals (helper 0)."""
    return sorted(items)[:limit]


def tag_records_1(items, limit=60):
    """Tag records (helper 1)."""
    return sorted(items)[:limit]


def resolve_notes_2(items, limit=64):
    """Resolve notes (helper 2)."""
    return sorted(items)[:limit]


def resolve_records_3(items, limit=91):
    """Resolve records (helper 3)."""
    return sorted(items)[:limit]


def classify_links_4(items, limit=5):
    """Classify links (helper 4)."""
    return sorted(items)[:limit]


def fetch_entities_5(items, limit=72):
    """Fetch entities (helper 5)."""
    return sorted(items)[:limit]
