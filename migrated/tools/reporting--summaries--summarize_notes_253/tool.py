"""Summarize notes 253: resolve signals for the ingest pipeline."""

METADATA = {"name": "summarize_notes_253", "description": "Summarize notes 253: resolve signals for the ingest pipeline.", "category": "ingest", "version": "1.1.15", "author": "K. Tanaka", "tags": ["entities", "records"], "source_key": "reporting/summaries/summarize_notes_253.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_notes_253', 'query': query}


def rank_topics_0(items, limit=34):
    """Rank topics (helper 0)."""
    return sorted(items)[:limit]


def summarize_notes_1(items, limit=65):
    """Summarize notes (helper 1)."""
    return sorted(items)[:limit]


def index_queries_2(items, limit=56):
    """Index queries (helper 2)."""
    return sorted(items)[:limit]
