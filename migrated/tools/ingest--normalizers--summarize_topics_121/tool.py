"""Summarize topics 121: fetch records for the retrieval pipeline."""

METADATA = {"name": "summarize_topics_121", "description": "Summarize topics 121: fetch records for the retrieval pipeline.", "category": "retrieval", "version": "3.1.14", "author": "K. Tanaka", "tags": ["links", "notes"], "source_key": "ingest/normalizers/summarize_topics_121.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_topics_121', 'query': query}


def summarize_signals_0(items, limit=14):
    """Summarize signals (helper 0)."""
    return sorted(items)[:limit]
