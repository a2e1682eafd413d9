"""Summarize queries 214: score events for the retrieval pipeline."""

METADATA = {"name": "summarize_queries_214", "description": "Summarize queries 214: score events for the retrieval pipeline.", "category": "retrieval", "version": "1.1.8", "author": "S. Lindqvist", "tags": ["links", "signals"], "source_key": "retrieval/ranking/summarize_queries_214.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_queries_214', 'query': query}


def classify_queries_0(items, limit=74):
    """Classify queries (helper 0)."""
    return sorted(items)[:limit]


def summarize_entities_1(items, limit=20):
    """Summarize entities (helper 1)."""
    return sorted(items)[:limit]


def summarize_signals_2(items, limit=39):
    """Summarize signals (helper 2)."""
    return sorted(items)[:limit]
