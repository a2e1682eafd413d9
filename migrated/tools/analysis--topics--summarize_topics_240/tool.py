"""Summarize topics 240: tag notes for the analysis pipeline."""

METADATA = {"name": "summarize_topics_240", "description": "Summarize topics 240: tag notes for the analysis pipeline.", "category": "analysis", "version": "2.5.2", "author": "K. Tanaka", "tags": ["entities", "records"], "source_key": "analysis/topics/summarize_topics_240.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_topics_240', 'query': query}


def index_records_0(items, limit=60):
    """Index records (helper 0)."""
    return sorted(items)[:limit]


def extract_queries_1(items, limit=37):
    """Extract queries (helper 1)."""
    return sorted(items)[:limit]
