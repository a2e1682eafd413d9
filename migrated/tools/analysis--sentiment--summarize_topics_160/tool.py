"""Summarize topics 160: score events for the retrieval pipeline."""

METADATA = {"name": "summarize_topics_160", "description": "Summarize topics 160: score events for the retrieval pipeline.", "category": "retrieval", "version": "2.0.10", "author": "M. García", "tags": ["entities", "notes"], "source_key": "analysis/sentiment/summarize_topics_160.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_topics_160', 'query': query}


def fetch_records_0(items, limit=66):
    """Fetch records (helper 0)."""
    return sorted(items)[:limit]


def merge_topics_1(items, limit=83):
    """Merge topics (helper 1)."""
    return sorted(items)[:limit]


def fetch_topics_2(items, limit=60):
    """Fetch topics (helper 2)."""
    return sorted(items)[:limit]


def merge_notes_3(items, limit=87):
    """Merge notes (helper 3)."""
    return sorted(items)[:limit]


def index_queries_4(items, limit=79):
    """Index queries (helper 4)."""
    return sorted(items)[:limit]
