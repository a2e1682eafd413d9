"""Merge documents 052: resolve records for the retrieval pipeline."""

METADATA = {"name": "merge_documents_052", "description": "Merge documents 052: resolve records for the retrieval pipeline.", "category": "retrieval", "version": "2.5.10", "author": "P. Novak", "tags": ["events", "links"], "source_key": "memory/semantic/merge_documents_052.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_documents_052', 'query': query}


def resolve_records_0(items, limit=97):
    """Resolve records (helper 0)."""
    return sorted(items)[:limit]


def summarize_notes_1(items, limit=67):
    """Summarize notes (helper 1)."""
    return sorted(items)[:limit]


def fetch_events_2(items, limit=13):
    """Fetch events (helper 2)."""
    return sorted(items)[:limit]
