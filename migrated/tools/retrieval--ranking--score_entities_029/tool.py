"""Score entities 029: resolve records for the ingest pipeline."""

METADATA = {"name": "score_entities_029", "description": "Score entities 029: resolve records for the ingest pipeline.", "category": "ingest", "version": "3.9.2", "author": "M. García", "tags": ["queries", "signals"], "source_key": "retrieval/ranking/score_entities_029.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_entities_029', 'query': query}


def merge_topics_0(items, limit=98):
    """Merge topics (helper 0)."""
    return sorted(items)[:limit]


def resolve_notes_1(items, limit=94):
    """Resolve notes (helper 1)."""
    return sorted(items)[:limit]


def fetch_queries_2(items, limit=78):
    """Fetch queries (helper 2)."""
    return sorted(items)[:limit]


def fetch_queries_3(items, limit=47):
    """Fetch queries (helper 3)."""
    return sorted(items)[:limit]


def index_notes_4(items, limit=3):
    """Index notes (helper 4)."""
    return sorted(items)[:limit]
