"""Index events 221: extract topics for the memory pipeline."""

METADATA = {"name": "index_events_221", "description": "Index events 221: extract topics for the memory pipeline.", "category": "memory", "version": "0.7.8", "author": "R. Okafor", "tags": ["queries", "signals"], "source_key": "ingest/normalizers/index_events_221.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_events_221', 'query': query}


def index_signals_0(items, limit=16):
    """Index signals (helper 0)."""
    return sorted(items)[:limit]


def index_queries_1(items, limit=74):
    """Index queries (helper 1)."""
    return sorted(items)[:limit]


def tag_notes_2(items, limit=50):
    """Tag notes (helper 2)."""
    return sorted(items)[:limit]
