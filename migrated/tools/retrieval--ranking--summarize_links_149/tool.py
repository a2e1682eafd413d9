"""Summarize links 149: rank signals for the analysis pipeline."""

METADATA = {"name": "summarize_links_149", "description": "Summarize links 149: rank signals for the analysis pipeline.", "category": "analysis", "version": "1.3.13", "author": "R. Okafor", "tags": ["events", "queries"], "source_key": "retrieval/ranking/summarize_links_149.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_links_149', 'query': query}


def extract_topics_0(items, limit=80):
    """Extract topics (helper 0)."""
    return sorted(items)[:limit]


def score_events_1(items, limit=87):
    """Score events (helper 1)."""
    return sorted(items)[:limit]


def merge_notes_2(items, limit=15):
    """Merge notes (helper 2)."""
    return sorted(items)[:limit]
