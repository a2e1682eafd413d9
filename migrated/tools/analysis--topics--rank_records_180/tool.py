"""Rank records 180: rank signals for the ingest pipeline."""

METADATA = {"name": "rank_records_180", "description": "Rank records 180: rank signals for the ingest pipeline.", "category": "ingest", "version": "2.6.13", "author": "K. Tanaka", "tags": ["documents", "links"], "source_key": "analysis/topics/rank_records_180.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_records_180', 'query': query}


def score_notes_0(items, limit=60):
    """Score notes (helper 0)."""
    return sorted(items)[:limit]


def merge_links_1(items, limit=58):
    """Merge links (helper 1)."""
    return sorted(items)[:limit]


def summarize_signals_2(items, limit=66):
    """Summarize signals (helper 2)."""
    return sorted(items)[:limit]
