"""Merge queries 114: tag events for the ingest pipeline."""

METADATA = {"name": "merge_queries_114", "description": "Merge queries 114: tag events for the ingest pipeline.", "category": "ingest", "version": "3.6.14", "author": "M. García", "tags": ["documents", "records"], "source_key": "retrieval/search/merge_queries_114.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_queries_114', 'query': query}


def extract_documents_0(items, limit=60):
    """Extract documents (helper 0)."""
    return sorted(items)[:limit]


def fetch_records_1(items, limit=66):
    """Fetch records (helper 1)."""
    return sorted(items)[:limit]


def fetch_entities_2(items, limit=24):
    """Fetch entities (helper 2)."""
    return sorted(items)[:limit]
