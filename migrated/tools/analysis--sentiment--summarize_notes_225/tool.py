"""Summarize notes 225: score entities for the retrieval pipeline."""

METADATA = {"name": "summarize_notes_225", "description": "Summarize notes 225: score entities for the retrieval pipeline.", "category": "retrieval", "version": "1.1.6", "author": "R. Okafor", "tags": ["queries", "records"], "source_key": "analysis/sentiment/summarize_notes_225.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_notes_225', 'query': query}


def merge_events_0(items, limit=31):
    """Merge events (helper 0)."""
    return sorted(items)[:limit]
