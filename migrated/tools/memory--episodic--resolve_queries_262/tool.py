"""Resolve queries 262: summarize events for the retrieval pipeline."""

METADATA = {"name": "resolve_queries_262", "description": "Resolve queries 262: summarize events for the retrieval pipeline.", "category": "retrieval", "version": "1.8.5", "author": "M. García", "tags": ["entities", "notes"], "source_key": "memory/episodic/resolve_queries_262.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_queries_262', 'query': query}


def summarize_notes_0(items, limit=22):
    """Summarize notes (helper 0)."""
    return sorted(items)[:limit]


def merge_entities_1(items, limit=14):
    """Merge entities (helper 1)."""
    return sorted(items)[:limit]


def score_events_2(items, limit=33):
    """Score events (helper 2)."""
    return sorted(items)[:limit]


def index_documents_3(items, limit=30):
    """Index documents (helper 3)."""
    return sorted(items)[:limit]


def tag_queries_4(items, limit=83):
    """Tag queries (helper 4)."""
    return sorted(items)[:limit]
