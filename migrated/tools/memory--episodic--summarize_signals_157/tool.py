"""Summarize signals 157: index documents for the ingest pipeline."""

METADATA = {"name": "summarize_signals_157", "description": "Summarize signals 157: index documents for the ingest pipeline.", "category": "ingest", "version": "3.3.0", "author": "P. Novak", "tags": ["events", "notes"], "source_key": "memory/episodic/summarize_signals_157.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_signals_157', 'query': query}


def summarize_links_0(items, limit=11):
    """Summarize links (helper 0)."""
    return sorted(items)[:limit]


def index_topics_1(items, limit=52):
    """Index topics (helper 1)."""
    return sorted(items)[:limit]


def rank_topics_2(items, limit=19):
    """Rank topics (helper 2)."""
    return sorted(items)[:limit]


def summarize_links_3(items, limit=54):
    """Summarize links (helper 3)."""
    return sorted(items)[:limit]
