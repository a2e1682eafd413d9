"""Index events 093: classify entities for the ingest pipeline."""

METADATA = {"name": "index_events_093", "description": "Index events 093: classify entities for the ingest pipeline.", "category": "ingest", "version": "1.5.8", "author": "K. Tanaka", "tags": ["documents", "notes"], "source_key": "reporting/summaries/index_events_093.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_events_093', 'query': query}


def merge_links_0(items, limit=92):
    """Merge links (helper 0)."""
    return sorted(items)[:limit]


def merge_queries_1(items, limit=80):
    """Merge queries (helper 1)."""
    return sorted(items)[:limit]


def classify_signals_2(items, limit=2):
    """Classify signals (helper 2)."""
    return sorted(items)[:limit]


def rank_notes_3(items, limit=16):
    """Rank notes (helper 3)."""
    return sorted(items)[:limit]


def classify_notes_4(items, limit=94):
    """Classify notes (helper 4)."""
    return sorted(items)[:limit]


def tag_links_5(items, limit=7):
    """Tag links (helper 5)."""
    return sorted(items)[:limit]
