"""Index entities 168: classify documents for the memory pipeline."""

METADATA = {"name": "index_entities_168", "description": "Index entities 168: classify documents for the memory pipeline.", "category": "memory", "version": "1.6.1", "author": "S. Lindqvist", "tags": ["entities", "topics"], "source_key": "reporting/summaries/legacy/index_entities_168.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_entities_168', 'query': query}


def index_links_0(items, limit=49):
    """Index links (helper 0)."""
    return sorted(items)[:limit]
