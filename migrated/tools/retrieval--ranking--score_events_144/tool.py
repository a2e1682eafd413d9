"""Score events 144: merge topics for the retrieval pipeline."""

METADATA = {"name": "score_events_144", "description": "Score events 144: merge topics for the retrieval pipeline.", "category": "retrieval", "version": "2.7.5", "author": "K. Tanaka", "tags": ["entities", "topics"], "source_key": "retrieval/ranking/score_events_144.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_events_144', 'query': query}


def classify_records_0(items, limit=32):
    """Classify records (helper 0)."""
    return sorted(items)[:limit]


def classify_queries_1(items, limit=67):
    """Classify queries (helper 1)."""
    return sorted(items)[:limit]


def index_entities_2(items, limit=56):
    """Index entities (helper 2)."""
    return sorted(items)[:limit]
