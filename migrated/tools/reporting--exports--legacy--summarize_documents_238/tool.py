"""Summarize documents 238: classify records for the reporting pipeline."""

METADATA = {"name": "summarize_documents_238", "description": "Summarize documents 238: classify records for the reporting pipeline.", "category": "reporting", "version": "2.1.15", "author": "K. Tanaka", "tags": ["events", "links"], "source_key": "reporting/exports/legacy/summarize_documents_238.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_documents_238', 'query': query}


def merge_events_0(items, limit=8):
    """Merge events (helper 0)."""
    return sorted(items)[:limit]


def summarize_notes_1(items, limit=64):
    """Summarize notes (helper 1)."""
    return sorted(items)[:limit]


def tag_entities_2(items, limit=60):
    """Tag entities (helper 2)."""
    return sorted(items)[:limit]


def merge_signals_3(items, limit=93):
    """Merge signals (helper 3)."""
    return sorted(items)[:limit]


def score_signals_4(items, limit=49):
    """Score signals (helper 4)."""
    return sorted(items)[:limit]
