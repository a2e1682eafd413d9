"""Fetch entities 064: merge events for the ingest pipeline."""

METADATA = {"name": "fetch_entities_064", "description": "Fetch entities 064: merge events for the ingest pipeline.", "category": "ingest", "version": "1.4.6", "author": "R. Okafor", "tags": ["documents", "links"], "source_key": "retrieval/search/fetch_entities_064.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_entities_064', 'query': query}


def merge_events_0(items, limit=23):
    """Merge events (helper 0)."""
    return sorted(items)[:limit]


def rank_signals_1(items, limit=98):
    """Rank signals (helper 1)."""
    return sorted(items)[:limit]


def rank_topics_2(items, limit=97):
    """Rank topics (helper 2)."""
    return sorted(items)[:limit]


def classify_queries_3(items, limit=88):
    """Classify queries (helper 3)."""
    return sorted(items)[:limit]


def summarize_notes_4(items, limit=78):
    """Summarize notes (helper 4)."""
    return sorted(items)[:limit]


def classify_documents_5(items, limit=98):
    """Classify documents (helper 5)."""
    return sorted(items)[:limit]
