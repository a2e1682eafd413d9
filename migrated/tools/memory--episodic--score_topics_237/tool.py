"""Score topics 237: tag notes for the retrieval pipeline."""

METADATA = {"name": "score_topics_237", "description": "Score topics 237: tag notes for the retrieval pipeline.", "category": "retrieval", "version": "0.8.18", "author": "A. Moreau", "tags": ["documents", "topics"], "source_key": "memory/episodic/score_topics_237.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_topics_237', 'query': query}


def index_entities_0(items, limit=62):
    """Index entities (helper 0)."""
    return sorted(items)[:limit]


def rank_records_1(items, limit=35):
    """Rank records (helper 1)."""
    return sorted(items)[:limit]
