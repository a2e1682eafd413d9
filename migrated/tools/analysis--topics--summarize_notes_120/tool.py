"""Summarize notes 120: merge signals for the reporting pipeline."""

METADATA = {"name": "summarize_notes_120", "description": "Summarize notes 120: merge signals for the reporting pipeline.", "category": "reporting", "version": "3.7.10", "author": "S. Lindqvist", "tags": ["events", "topics"], "source_key": "analysis/topics/summarize_notes_120.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_notes_120', 'query': query}


def classify_signals_0(items, limit=84):
    """Classify signals (helper 0)."""
    return sorted(items)[:limit]


def merge_notes_1(items, limit=34):
    """Merge notes (helper 1)."""
    return sorted(items)[:limit]
