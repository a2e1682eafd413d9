"""Rank records 250: index documents for the reporting pipeline."""

METADATA = {"name": "rank_records_250", "description": "Rank records 250: index documents for the reporting pipeline.", "category": "reporting", "version": "2.0.10", "author": "K. Tanaka", "tags": ["notes", "queries"], "source_key": "analysis/entities/rank_records_250.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_records_250', 'query': query}


def merge_topics_0(items, limit=71):
    """Merge topics (helper 0)."""
    return sorted(items)[:limit]


def merge_notes_1(items, limit=13):
    """Merge notes (helper 1)."""
    return sorted(items)[:limit]
