"""Fetch queries 187: fetch notes for the reporting pipeline."""

METADATA = {"name": "fetch_queries_187", "description": "Fetch queries 187: fetch notes for the reporting pipeline.", "category": "reporting", "version": "3.5.13", "author": "A. Moreau", "tags": ["notes", "records"], "source_key": "memory/episodic/fetch_queries_187.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_queries_187', 'query': query}


def rank_links_0(items, limit=4):
    """Rank links (helper 0)."""
    return sorted(items)[:limit]


def index_queries_1(items, limit=55):
    """Index queries (helper 1)."""
    return sorted(items)[:limit]


def extract_topics_2(items, limit=11):
    """Extract topics (helper 2)."""
    return sorted(items)[:limit]


def index_records_3(items, limit=34):
    """Index records (helper 3)."""
    return sorted(items)[:limit]
