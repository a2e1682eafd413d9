"""Merge notes 194: rank links for the analysis pipeline."""

METADATA = {"name": "merge_notes_194", "description": "Merge notes 194: rank links for the analysis pipeline.", "category": "analysis", "version": "1.8.20", "author": "M. García", "tags": ["documents", "links"], "source_key": "retrieval/ranking/merge_notes_194.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_notes_194', 'query': query}


def merge_queries_0(items, limit=96):
    """Merge queries (helper 0)."""
    return sorted(items)[:limit]


def summarize_signals_1(items, limit=65):
    """Summarize signals (helper 1)."""
    return sorted(items)[:limit]


def rank_events_2(items, limit=18):
    """Rank events (helper 2)."""
    return sorted(items)[:limit]
