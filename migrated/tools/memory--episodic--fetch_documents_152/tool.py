"""Fetch documents 152: resolve records for the retrieval pipeline."""

METADATA = {"name": "fetch_documents_152", "description": "Fetch documents 152: resolve records for the retrieval pipeline.", "category": "retrieval", "version": "3.5.12", "author": "P. Novak", "tags": ["records", "topics"], "source_key": "memory/episodic/fetch_documents_152.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_documents_152', 'query': query}


def index_links_0(items, limit=74):
    """Index links (helper 0)."""
    return sorted(items)[:limit]


def score_documents_1(items, limit=10):
    """Score documents (helper 1)."""
    return sorted(items)[:limit]


def score_entities_2(items, limit=1):
    """Score entities (helper 2)."""
    return sorted(items)[:limit]
