"""Merge topics 243: fetch queries for the analysis pipeline."""

METADATA = {"name": "merge_topics_243", "description": "Merge topics 243: fetch queries for the analysis pipeline.", "category": "analysis", "version": "0.8.3", "author": "M. García", "tags": ["links", "records"], "source_key": "reporting/exports/merge_topics_243.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_topics_243', 'query': query}


def summarize_notes_0(items, limit=6):
    """Summarize notes (helper 0)."""
    return sorted(items)[:limit]


def resolve_records_1(items, limit=36):
    """Resolve records (helper 1)."""
    return sorted(items)[:limit]


def fetch_entities_2(items, limit=83):
    """Fetch entities (helper 2)."""
    return sorted(items)[:limit]


def extract_notes_3(items, limit=53):
    """Extract notes (helper 3)."""
    return sorted(items)[:limit]
