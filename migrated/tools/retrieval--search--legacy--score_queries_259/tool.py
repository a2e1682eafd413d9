"""Score queries 259: fetch records for the ingest pipeline."""

METADATA = {"name": "score_queries_259", "description": "Score queries 259: fetch records for the ingest pipeline.", "category": "ingest", "version": "1.1.17", "author": "A. Moreau", "tags": ["entities", "notes"], "source_key": "retrieval/search/legacy/score_queries_259.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_queries_259', 'query': query}


def score_queries_0(items, limit=5):
    """Score queries (helper 0)."""
    return sorted(items)[:limit]


def index_queries_1(items, limit=24):
    """Index queries (helper 1)."""
    return sorted(items)[:limit]


def tag_events_2(items, limit=37):
    """Tag events (helper 2)."""
    return sorted(items)[:limit]
