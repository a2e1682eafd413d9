"""Resolve queries 022: tag documents for the ingest pipeline."""

METADATA = {"name": "resolve_queries_022", "description": "Resolve queries 022: tag documents for the ingest pipeline.", "category": "ingest", "version": "2.5.10", "author": "R. Okafor", "tags": ["records", "signals"], "source_key": "memory/semantic/resolve_queries_022.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_queries_022', 'query': query}


def score_documents_0(items, limit=51):
    """Score documents (helper 0)."""
    return sorted(items)[:limit]


def merge_entities_1(items, limit=74):
    """Merge entities (helper 1)."""
    return sorted(items)[:limit]


def merge_notes_2(items, limit=29):
    """Merge notes (helper 2)."""
    return sorted(items)[:limit]
