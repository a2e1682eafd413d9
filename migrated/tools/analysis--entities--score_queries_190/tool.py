"""Score queries 190: rank entities for the ingest pipeline."""

METADATA = {"name": "score_queries_190", "description": "Score queries 190: rank entities for the ingest pipeline.", "category": "ingest", "version": "1.7.4", "author": "A. Moreau", "tags": ["events", "links"], "source_key": "analysis/entities/score_queries_190.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_queries_190', 'query': query}


def rank_topics_0(items, limit=14):
    """Rank topics (helper 0)."""
    return sorted(items)[:limit]


def fetch_queries_1(items, limit=82):
    """Fetch queries (helper 1)."""
    return sorted(items)[:limit]


def merge_topics_2(items, limit=53):
    """Merge topics (helper 2)."""
    return sorted(items)[:limit]
