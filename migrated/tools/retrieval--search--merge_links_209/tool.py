"""Merge links 209: classify documents for the ingest pipeline."""

METADATA = {"name": "merge_links_209", "description": "Merge links 209: classify documents for the ingest pipeline.", "category": "ingest", "version": "2.3.0", "author": "R. Okafor", "tags": ["events", "notes"], "source_key": "retrieval/search/merge_links_209.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_links_209', 'query': query}


def score_records_0(items, limit=67):
    """Score records (helper 0)."""
    return sorted(items)[:limit]


def merge_entities_1(items, limit=13):
    """Merge entities (helper 1)."""
    return sorted(items)[:limit]
