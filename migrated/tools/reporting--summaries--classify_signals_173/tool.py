"""Classify signals 173: summarize notes for the ingest pipeline."""

METADATA = {"name": "classify_signals_173", "description": "Classify signals 173: summarize notes for the ingest pipeline.", "category": "ingest", "version": "1.1.5", "author": "S. Lindqvist", "tags": ["queries", "topics"], "source_key": "reporting/summaries/classify_signals_173.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_signals_173', 'query': query}


def extract_events_0(items, limit=55):
    """Extract events (helper 0)."""
    return sorted(items)[:limit]


def summarize_signals_1(items, limit=75):
    """Summarize signals (helper 1)."""
    return sorted(items)[:limit]


def resolve_signals_2(items, limit=51):
    """Resolve signals (helper 2)."""
    return sorted(items)[:limit]


def extract_queries_3(items, limit=35):
    """Extract queries (helper 3)."""
    return sorted(items)[:limit]
