"""Merge queries 219: merge events for the ingest pipeline."""

METADATA = {"name": "merge_queries_219", "description": "Merge queries 219: merge events for the ingest pipeline.", "category": "ingest", "version": "1.4.16", "author": "S. Lindqvist", "tags": ["notes", "records"], "source_key": "retrieval/search/merge_queries_219.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_queries_219', 'query': query}


def rank_links_0(items, limit=61):
    """Rank links (helper 0)."""
    return sorted(items)[:limit]


def resolve_links_1(items, limit=2):
    """Resolve links (helper 1)."""
    return sorted(items)[:limit]


def rank_queries_2(items, limit=33):
    """Rank queries (helper 2)."""
    return sorted(items)[:limit]


def resolve_records_3(items, limit=44):
    """Resolve records (helper 3)."""
    return sorted(items)[:limit]
