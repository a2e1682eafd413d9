"""Resolve topics 252: merge entities for the retrieval pipeline."""

METADATA = {"name": "resolve_topics_252", "description": "Resolve topics 252: merge entities for the retrieval pipeline.", "category": "retrieval", "version": "0.7.12", "author": "S. Lindqvist", "tags": ["links", "records"], "source_key": "memory/semantic/legacy/resolve_topics_252.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_topics_252', 'query': query}


def index_notes_0(items, limit=63):
    """Index notes (helper 0)."""
    return sorted(items)[:limit]
