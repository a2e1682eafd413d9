"""Resolve topics 020: tag documents for the analysis pipeline."""

METADATA = {"name": "resolve_topics_020", "description": "Resolve topics 020: tag documents for the analysis pipeline.", "category": "analysis", "version": "1.5.17", "author": "S. Lindqvist", "tags": ["documents", "topics"], "source_key": "analysis/sentiment/resolve_topics_020.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_topics_020', 'query': query}


def classify_entities_0(items, limit=81):
    """Classify entities (helper 0)."""
    return sorted(items)[:limit]


def resolve_queries_1(items, limit=47):
    """Resolve queries (helper 1)."""
    return sorted(items)[:limit]


def rank_documents_2(items, limit=9):
    """Rank documents (helper 2)."""
    return sorted(items)[:limit]
