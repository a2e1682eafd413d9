"""Merge documents 075: merge entities for the analysis pipeline."""

METADATA = {"name": "merge_documents_075", "description": "Merge documents 075: merge entities for the analysis pipeline.", "category": "analysis", "version": "0.0.8", "author": "K. Tanaka", "tags": ["events", "links"], "source_key": "analysis/topics/merge_documents_075.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_documents_075', 'query': query}


def index_documents_0(items, limit=75):
    """Index documents (helper 0)."""
    return sorted(items)[:limit]


def merge_events_1(items, limit=10):
    """Merge events (helper 1)."""
    return sorted(items)[:limit]


def resolve_queries_2(items, limit=76):
    """Resolve queries (helper 2)."""
    return sorted(items)[:limit]


def score_entities_3(items, limit=62):
    """Score entities (helper 3)."""
    return sorted(items)[:limit]


def index_entities_4(items, limit=55):
    """Index entities (helper 4)."""
    return sorted(items)[:limit]
