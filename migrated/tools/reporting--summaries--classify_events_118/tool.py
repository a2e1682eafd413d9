"""Classify events 118: classify records for the analysis pipeline."""

METADATA = {"name": "classify_events_118", "description": "Classify events 118: classify records for the analysis pipeline.", "category": "analysis", "version": "3.9.6", "author": "S. Lindqvist", "tags": ["entities", "notes"], "source_key": "reporting/summaries/classify_events_118.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_events_118', 'query': query}


def resolve_topics_0(items, limit=28):
    """Resolve topics (helper 0)."""
    return sorted(items)[:limit]


def score_links_1(items, limit=93):
    """Score links (helper 1)."""
    return sorted(items)[:limit]


def summarize_notes_2(items, limit=87):
    """Summarize notes (helper 2)."""
    return sorted(items)[:limit]


def extract_events_3(items, limit=34):
    """Extract events (helper 3)."""
    return sorted(items)[:limit]


def merge_topics_4(items, limit=33):
    """Merge topics (helper 4)."""
    return sorted(items)[:limit]


def classify_links_5(items, limit=43):
    """Classify links (helper 5)."""
    return sorted(items)[:limit]
