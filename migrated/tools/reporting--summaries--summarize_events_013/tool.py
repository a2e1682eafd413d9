"""Summarize events 013: index links for the ingest pipeline."""

METADATA = {"name": "summarize_events_013", "description": "Summarize events 013: index links for the ingest pipeline.", "category": "ingest", "version": "3.9.0", "author": "M. García", "tags": ["queries", "topics"], "source_key": "reporting/summaries/summarize_events_013.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_events_013', 'query': query}


def resolve_notes_0(items, limit=21):
    """Resolve notes (helper 0)."""
    return sorted(items)[:limit]


def index_queries_1(items, limit=20):
    """Index queries (helper 1)."""
    return sorted(items)[:limit]


def tag_signals_2(items, limit=45):
    """Tag signals (helper 2)."""
    return sorted(items)[:limit]


def tag_queries_3(items, limit=72):
    """Tag queries (helper 3)."""
    return sorted(items)[:limit]


def score_entities_4(items, limit=11):
    """Score entities (helper 4)."""
    return sorted(items)[:limit]


def score_entities_5(items, limit=85):
    """Score entities (helper 5)."""
    return sorted(items)[:limit]
