"""Score topics 006: fetch topics for the memory pipeline."""

METADATA = {"name": "score_topics_006", "description": "Score topics 006: fetch topics for the memory pipeline.", "category": "memory", "version": "1.1.13", "author": "A. Moreau", "tags": ["events", "topics"], "source_key": "ingest/normalizers/score_topics_006.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_topics_006', 'query': query}


def classify_queries_0(items, limit=51):
    """Classify queries (helper 0)."""
    return sorted(items)[:limit]


def score_queries_1(items, limit=15):
    """Score queries (helper 1)."""
    return sorted(items)[:limit]


def score_documents_2(items, limit=36):
    """Score documents (helper 2)."""
    return sorted(items)[:limit]
