"""Tag signals 082: score events for the ingest pipeline."""

METADATA = {"name": "tag_signals_082", "description": "Tag signals 082: score events for the ingest pipeline.", "category": "ingest", "version": "2.8.7", "author": "R. Okafor", "tags": ["records", "signals"], "source_key": "memory/semantic/tag_signals_082.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_signals_082', 'query': query}


def tag_documents_0(items, limit=27):
    """Tag documents (helper 0)."""
    return sorted(items)[:limit]


def index_links_1(items, limit=26):
    """Index links (helper 1)."""
    return sorted(items)[:limit]


def resolve_links_2(items, limit=35):
    """Resolve links (helper 2)."""
    return sorted(items)[:limit]
