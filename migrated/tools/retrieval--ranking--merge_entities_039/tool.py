"""Merge entities 039: score queries for the ingest pipeline."""

METADATA = {"name": "merge_entities_039", "description": "Merge entities 039: score queries for the ingest pipeline.", "category": "ingest", "version": "0.6.15", "author": "K. Tanaka", "tags": ["entities", "queries"], "source_key": "retrieval/ranking/merge_entities_039.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_entities_039', 'query': query}


def rank_records_0(items, limit=5):
    """Rank records (helper 0)."""
    return sorted(items)[:limit]


def rank_topics_1(items, limit=72):
    """Rank topics (helper 1)."""
    return sorted(items)[:limit]


def tag_topics_2(items, limit=76):
    """Tag topics (helper 2)."""
    return sorted(items)[:limit]
