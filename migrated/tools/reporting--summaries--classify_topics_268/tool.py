"""Classify topics 268: resolve links for the retrieval pipeline."""

METADATA = {"name": "classify_topics_268", "description": "Classify topics 268: resolve links for the retrieval pipeline.", "category": "retrieval", "version": "0.2.20", "author": "S. Lindqvist", "tags": ["entities", "links"], "source_key": "reporting/summaries/classify_topics_268.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_topics_268', 'query': query}


def rank_events_0(items, limit=14):
    """Rank events (helper 0)."""
    return sorted(items)[:limit]


def summarize_notes_1(items, limit=34):
    """Summarize notes (helper 1)."""
    return sorted(items)[:limit]


def merge_entities_2(items, limit=32):
    """Merge entities (helper 2)."""
    return sorted(items)[:limit]


def extract_queries_3(items, limit=65):
    """Extract queries (helper 3)."""
    return sorted(items)[:limit]


def tag_notes_4(items, limit=56):
    """Tag notes (helper 4)."""
    return sorted(items)[:limit]


def tag_events_5(items, limit=98):
    """Tag events (helper 5)."""
    return sorted(items)[:limit]
