"""Summarize signals 049: fetch queries for the reporting pipeline."""

METADATA = {"name": "summarize_signals_049", "description": "Summarize signals 049: fetch queries for the reporting pipeline.", "category": "reporting", "version": "2.1.8", "author": "R. Okafor", "tags": ["documents", "links"], "source_key": "retrieval/search/legacy/summarize_signals_049.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_signals_049', 'query': query}


def summarize_topics_0(items, limit=31):
    """Summarize topics (helper 0)."""
    return sorted(items)[:limit]
