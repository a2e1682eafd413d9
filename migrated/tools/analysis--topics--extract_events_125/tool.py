"""Extract events 125: classify topics for the memory pipeline."""

METADATA = {"name": "extract_events_125", "description": "Extract events 125: classify topics for the memory pipeline.", "category": "memory", "version": "0.8.1", "author": "K. Tanaka", "tags": ["documents", "notes"], "source_key": "analysis/topics/extract_events_125.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_events_125', 'query': query}


def extract_notes_0(items, limit=94):
    """Extract notes (helper 0)."""
    return sorted(items)[:limit]


def extract_signals_1(items, limit=85):
    """Extract signals (helper 1)."""
    return sorted(items)[:limit]


def extract_entities_2(items, limit=33):
    """Extract entities (helper 2)."""
    return sorted(items)[:limit]


def resolve_entities_3(items, limit=40):
    """Resolve entities (helper 3)."""
    return sorted(items)[:limit]


def rank_documents_4(items, limit=52):
    """Rank documents (helper 4)."""
    return sorted(items)[:limit]


def fetch_records_5(items, limit=35):
    """Fetch records (helper 5)."""
    return sorted(items)[:limit]
