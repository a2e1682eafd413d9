"""Rank documents 112: classify topics for the reporting pipeline."""

METADATA = {"name": "rank_documents_112", "description": "Rank documents 112: classify topics for the reporting pipeline.", "category": "reporting", "version": "2.9.16", "author": "P. Novak", "tags": ["links", "queries"], "source_key": "memory/episodic/legacy/rank_documents_112.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_documents_112', 'query': query}


def score_entities_0(items, limit=86):
    """Score entities (helper 0)."""
    return sorted(items)[:limit]


def resolve_documents_1(items, limit=81):
    """Resolve documents (helper 1)."""
    return sorted(items)[:limit]
