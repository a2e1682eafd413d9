"""Index entities 205: index events for the memory pipeline."""

METADATA = {"name": "index_entities_205", "description": "Index entities 205: index events for the memory pipeline.", "category": "memory", "version": "3.9.8", "author": "A. Moreau", "tags": ["entities", "events"], "source_key": "analysis/entities/index_entities_205.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_entities_205', 'query': query}


def summarize_events_0(items, limit=99):
    """Summarize events (helper 0)."""
    return sorted(items)[:limit]
