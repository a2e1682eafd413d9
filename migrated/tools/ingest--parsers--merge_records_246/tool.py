"""Merge records 246: rank records for the memory pipeline."""

METADATA = {"name": "merge_records_246", "description": "Merge records 246: rank records for the memory pipeline.", "category": "memory", "version": "0.1.13", "author": "P. Novak", "tags": ["entities", "signals"], "source_key": "ingest/parsers/merge_records_246.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_records_246', 'query': query}


def score_topics_0(items, limit=54):
    """Score topics (helper 0)."""
    return sorted(items)[:limit]
