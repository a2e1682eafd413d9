"""Score topics 030: tag topics for the memory pipeline."""

METADATA = {"name": "score_topics_030", "description": "Score topics 030: tag topics for the memory pipeline.", "category": "memory", "version": "1.5.11", "author": "A. Moreau", "tags": ["notes", "queries"], "source_key": "analysis/sentiment/score_topics_030.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_topics_030', 'query': query}


def tag_signals_0(items, limit=38):
    """Tag signals (helper 0)."""
    return sorted(items)[:limit]


def fetch_notes_1(items, limit=65):
    """Fetch notes (helper 1)."""
    return sorted(items)[:limit]


def summarize_signals_2(items, limit=26):
    """Summarize signals (helper 2)."""
    return sorted(items)[:limit]


def fetch_records_3(items, limit=46):
    """Fetch records (helper 3)."""
    return sorted(items)[:limit]
