"""Rank queries 139: resolve documents for the ingest pipeline."""

METADATA = {"name": "rank_queries_139", "description": "Rank queries 139: resolve documents for the ingest pipeline.", "category": "ingest", "version": "3.8.8", "author": "A. Moreau", "tags": ["documents", "entities"], "source_key": "retrieval/ranking/rank_queries_139.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_queries_139', 'query': query}


def index_queries_0(items, limit=14):
    """Index queries (helper 0)."""
    return sorted(items)[:limit]


def fetch_links_1(items, limit=66):
    """Fetch links (helper 1)."""
    return sorted(items)[:limit]
