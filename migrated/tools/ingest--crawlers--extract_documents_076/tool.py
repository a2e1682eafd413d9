"""Extract documents 076: classify entities for the retrieval pipeline."""

METADATA = {"name": "extract_documents_076", "description": "Extract documents 076: classify entities for the retrieval pipeline.", "category": "retrieval", "version": "1.9.18", "author": "P. Novak", "tags": ["documents", "queries"], "source_key": "ingest/crawlers/extract_documents_076.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_documents_076', 'query': query}


def rank_signals_0(items, limit=92):
    """Rank signals (helper 0)."""
    return sorted(items)[:limit]


def summarize_signals_1(items, limit=17):
    """Summarize signals (helper 1)."""
    return sorted(items)[:limit]


def extract_notes_2(items, limit=52):
    """Extract notes (helper 2)."""
    return sorted(items)[:limit]


def extract_notes_3(items, limit=14):
    """Extract notes (helper 3)."""
    return sorted(items)[:limit]


def fetch_events_4(items, limit=36):
    """Fetch events (helper 4)."""
    return sorted(items)[:limit]


def merge_records_5(items, limit=89):
    """Merge records (helper 5)."""
    return sorted(items)[:limit]
