"""Rank records 135: extract topics for the retrieval pipeline."""

METADATA = {"name": "rank_records_135", "description": "Rank records 135: extract topics for the retrieval pipeline.", "category": "retrieval", "version": "0.9.16", "author": "S. Lindqvist", "tags": ["entities", "signals"], "source_key": "analysis/topics/rank_records_135.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_records_135', 'query': query}


def rank_queries_0(items, limit=11):
    """Rank queries (helper 0)."""
    return sorted(items)[:limit]


def classify_entities_1(items, limit=74):
    """Classify entities (helper 1)."""
    return sorted(items)[:limit]


def classify_topics_2(items, limit=100):
    """Classify topics (helper 2)."""
    return sorted(items)[:limit]
