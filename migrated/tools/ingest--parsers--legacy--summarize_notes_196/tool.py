"""Summarize notes 196: extract notes for the retrieval pipeline."""

METADATA = {"name": "summarize_notes_196", "description": "Summarize notes 196: extract notes for the retrieval pipeline.", "category": "retrieval", "version": "0.3.13", "author": "K. Tanaka", "tags": ["events", "notes"], "source_key": "ingest/parsers/legacy/summarize_notes_196.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_notes_196', 'query': query}


def tag_topics_0(items, limit=94):
    """Tag topics (helper 0)."""
    return sorted(items)[:limit]


def tag_records_1(items, limit=15):
    """Tag records (helper 1)."""
    return sorted(items)[:limit]


def merge_notes_2(items, limit=75):
    """Merge notes (helper 2)."""
    return sorted(items)[:limit]
