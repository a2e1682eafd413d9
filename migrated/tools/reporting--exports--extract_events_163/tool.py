"""Extract events 163: rank entities for the ingest pipeline."""

METADATA = {"name": "extract_events_163", "description": "Extract events 163: rank entities for the ingest pipeline.", "category": "ingest", "version": "0.5.3", "author": "R. Okafor", "tags": ["entities", "records"], "source_key": "reporting/exports/extract_events_163.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_events_163', 'query': query}


def merge_notes_0(items, limit=96):
    """Merge notes (helper 0)."""
    return sorted(items)[:limit]


def summarize_records_1(items, limit=85):
    """Summarize records (helper 1)."""
    return sorted(items)[:limit]


def fetch_notes_2(items, limit=84):
    """Fetch notes (helper 2)."""
    return sorted(items)[:limit]


def index_signals_3(items, limit=84):
    """Index signals (helper 3)."""
    return sorted(items)[:limit]


def index_signals_4(items, limit=45):
    """Index signals (helper 4)."""
    return sorted(items)[:limit]


def fetch_signals_5(items, limit=5):
    """Fetch signals (helper 5)."""
    return sorted(items)[:limit]
