"""Classify records 267: fetch events for the ingest pipeline."""

METADATA = {"name": "classify_records_267", "description": "Classify records 267: fetch events for the ingest pipeline.", "category": "ingest", "version": "3.9.4", "author": "P. Novak", "tags": ["notes", "signals"], "source_key": "memory/episodic/classify_records_267.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_records_267', 'query': query}


def resolve_topics_0(items, limit=12):
    """Resolve topics (helper 0)."""
    return sorted(items)[:limit]


def score_notes_1(items, limit=18):
    """Score notes (helper 1)."""
    return sorted(items)[:limit]


def merge_links_2(items, limit=81):
    """Merge links (helper 2)."""
    return sorted(items)[:limit]


def summarize_signals_3(items, limit=96):
    """Summarize signals (helper 3)."""
    return sorted(items)[:limit]
