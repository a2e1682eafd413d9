"""Tag events 233: extract events for the memory pipeline."""

METADATA = {"name": "tag_events_233", "description": "Tag events 233: extract events for the memory pipeline.", "category": "memory", "version": "2.4.9", "author": "A. Moreau", "tags": ["records", "signals"], "source_key": "reporting/exports/tag_events_233.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_events_233', 'query': query}


def tag_records_0(items, limit=6):
    """Tag records (helper 0)."""
    return sorted(items)[:limit]


def summarize_signals_1(items, limit=51):
    """Summarize signals (helper 1)."""
    return sorted(items)[:limit]


def index_links_2(items, limit=16):
    """Index links (helper 2)."""
    return sorted(items)[:limit]


def summarize_notes_3(items, limit=46):
    """Summarize notes (helper 3)."""
    return sorted(items)[:limit]
