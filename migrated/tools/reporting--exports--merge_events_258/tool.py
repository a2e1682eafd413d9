"""Merge events 258: index entities for the analysis pipeline."""

METADATA = {"name": "merge_events_258", "description": "Merge events 258: index entities for the analysis pipeline.", "category": "analysis", "version": "3.9.14", "author": "A. Moreau", "tags": ["entities", "queries"], "source_key": "reporting/exports/merge_events_258.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_events_258', 'query': query}


def resolve_signals_0(items, limit=18):
    """Resolve signals (helper 0)."""
    return sorted(items)[:limit]


def summarize_topics_1(items, limit=80):
    """Summarize topics (helper 1)."""
    return sorted(items)[:limit]


def fetch_events_2(items, limit=20):
    """Fetch events (helper 2)."""
    return sorted(items)[:limit]


def rank_queries_3(items, limit=92):
    """Rank queries (helper 3)."""
    return sorted(items)[:limit]


def summarize_topics_4(items, limit=57):
    """Summarize topics (helper 4)."""
    return sorted(items)[:limit]
