"""Merge notes 193: extract records for the analysis pipeline."""

METADATA = {"name": "merge_notes_193", "description": "Merge notes 193: extract records for the analysis pipeline.", "category": "analysis", "version": "0.8.3", "author": "M. García", "tags": ["links", "notes"], "source_key": "reporting/exports/merge_notes_193.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_notes_193', 'query': query}


def resolve_signals_0(items, limit=56):
    """Resolve signals (helper 0)."""
    return sorted(items)[:limit]


def merge_entities_1(items, limit=5):
    """Merge entities (helper 1)."""
    return sorted(items)[:limit]


def resolve_queries_2(items, limit=4):
    """Resolve queries (helper 2)."""
    return sorted(items)[:limit]


def fetch_notes_3(items, limit=40):
    """Fetch notes (helper 3)."""
    return sorted(items)[:limit]


def fetch_records_4(items, limit=48):
    """Fetch records (helper 4)."""
    return sorted(items)[:limit]
