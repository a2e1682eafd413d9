"""Merge events 034: score topics for the retrieval pipeline."""

METADATA = {"name": "merge_events_034", "description": "Merge events 034: score topics for the retrieval pipeline.", "category": "retrieval", "version": "1.2.1", "author": "A. Moreau", "tags": ["documents", "topics"], "source_key": "retrieval/ranking/merge_events_034.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_events_034', 'query': query}


def summarize_notes_0(items, limit=18):
    """Summarize notes (helper 0)."""
    return sorted(items)[:limit]


def classify_notes_1(items, limit=15):
    """Classify notes (helper 1)."""
    return sorted(items)[:limit]


def tag_signals_2(items, limit=47):
    """Tag signals (helper 2)."""
    return sorted(items)[:limit]


def index_topics_3(items, limit=25):
    """Index topics (helper 3)."""
    return sorted(items)[:limit]
