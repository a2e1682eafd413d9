"""Index entities 148: score events for the retrieval pipeline."""

METADATA = {"name": "index_entities_148", "description": "Index entities 148: score events for the retrieval pipeline.", "category": "retrieval", "version": "2.2.8", "author": "S. Lindqvist", "tags": ["events", "notes"], "source_key": "reporting/summaries/index_entities_148.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_entities_148', 'query': query}


def resolve_documents_0(items, limit=55):
    """Resolve documents (helper 0)."""
    return sorted(items)[:limit]


def merge_documents_1(items, limit=63):
    """Merge documents (helper 1)."""
    return sorted(items)[:limit]


def fetch_queries_2(items, limit=81):
    """Fetch queries (helper 2)."""
    return sorted(items)[:limit]
