"""Merge events 061: fetch queries for the analysis pipeline."""

METADATA = {"name": "merge_events_061", "description": "Merge events 061: fetch queries for the analysis pipeline.", "category": "analysis", "version": "2.3.1", "author": "K. Tanaka", "tags": ["documents", "events"], "source_key": "ingest/crawlers/merge_events_061.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_events_061', 'query': query}


def score_events_0(items, limit=20):
    """Score events (helper 0)."""
    return sorted(items)[:limit]


def summarize_signals_1(items, limit=5):
    """Summarize signals (helper 1)."""
    return sorted(items)[:limit]
