"""Fetch links 167: summarize queries for the analysis pipeline."""

METADATA = {"name": "fetch_links_167", "description": "Fetch links 167: summarize queries for the analysis pipeline.", "category": "analysis", "version": "1.1.8", "author": "M. García", "tags": ["events", "signals"], "source_key": "memory/episodic/fetch_links_167.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_links_167', 'query': query}


def summarize_notes_0(items, limit=22):
    """Summarize notes (helper 0)."""
    return sorted(items)[:limit]


def resolve_signals_1(items, limit=11):
    """Resolve signals (helper 1)."""
    return sorted(items)[:limit]


def extract_queries_2(items, limit=2):
    """Extract queries (helper 2)."""
    return sorted(items)[:limit]


def classify_queries_3(items, limit=26):
    """Classify queries (helper 3)."""
    return sorted(items)[:limit]
