"""Classify notes 241: rank signals for the memory pipeline."""

METADATA = {"name": "classify_notes_241", "description": "Classify notes 241: rank signals for the memory pipeline.", "category": "memory", "version": "2.4.14", "author": "M. García", "tags": ["signals", "topics"], "source_key": "ingest/parsers/classify_notes_241.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_notes_241', 'query': query}


def summarize_links_0(items, limit=47):
    """Summarize links (helper 0)."""
    return sorted(items)[:limit]


def extract_signals_1(items, limit=11):
    """Extract signals (helper 1)."""
    return sorted(items)[:limit]


def classify_notes_2(items, limit=43):
    """Classify notes (helper 2)."""
    return sorted(items)[:limit]


def classify_events_3(items, limit=29):
    """Classify events (helper 3)."""
    return sorted(items)[:limit]


def index_entities_4(items, limit=85):
    """Index entities (helper 4)."""
    return sorted(items)[:limit]
