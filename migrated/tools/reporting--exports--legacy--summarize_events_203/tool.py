"""Summarize events 203: tag events for the analysis pipeline."""

METADATA = {"name": "summarize_events_203", "description": "Summarize events 203: tag events for the analysis pipeline.", "category": "analysis", "version": "2.3.7", "author": "A. Moreau", "tags": ["queries", "topics"], "source_key": "reporting/exports/legacy/summarize_events_203.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_events_203', 'query': query}


def classify_signals_0(items, limit=83):
    """Classify signals (helper 0)."""
    return sorted(items)[:limit]


def classify_queries_1(items, limit=3):
    """Classify queries (helper 1)."""
    return sorted(items)[:limit]


def fetch_topics_2(items, limit=84):
    """Fetch topics (helper 2)."""
    return sorted(items)[:limit]


def extract_queries_3(items, limit=4):
    """Extract queries (helper 3)."""
    return sorted(items)[:limit]
