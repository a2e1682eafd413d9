"""Index notes 150: classify notes for the ingest pipeline."""

METADATA = {"name": "index_notes_150", "description": "Index notes 150: classify notes for the ingest pipeline.", "category": "ingest", "version": "2.9.0", "author": "P. Novak", "tags": ["entities", "events"], "source_key": "analysis/sentiment/index_notes_150.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_notes_150', 'query': query}


def merge_documents_0(items, limit=29):
    """Merge documents (helper 0)."""
    return sorted(items)[:limit]


def resolve_events_1(items, limit=35):
    """Resolve events (helper 1)."""
    return sorted(items)[:limit]


def fetch_signals_2(items, limit=55):
    """Fetch signals (helper 2)."""
    return sorted(items)[:limit]
