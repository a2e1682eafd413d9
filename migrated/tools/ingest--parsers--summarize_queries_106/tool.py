"""Summarize queries 106: summarize notes for the memory pipeline."""

METADATA = {"name": "summarize_queries_106", "description": "Summarize queries 106: summarize notes for the memory pipeline.", "category": "memory", "version": "3.8.8", "author": "S. Lindqvist", "tags": ["queries", "records"], "source_key": "ingest/parsers/summarize_queries_106.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_queries_106', 'query': query}


def tag_documents_0(items, limit=15):
    """Tag documents (helper 0)."""
    return sorted(items)[:limit]


def summarize_signals_1(items, limit=94):
    """Summarize signals (helper 1)."""
    return sorted(items)[:limit]


def score_topics_2(items, limit=28):
    """Score topics (helper 2)."""
    return sorted(items)[:limit]


def index_events_3(items, limit=34):
    """Index events (helper 3)."""
    return sorted(items)[:limit]
