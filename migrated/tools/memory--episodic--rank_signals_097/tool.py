"""Rank signals 097: resolve links for the retrieval pipeline."""

METADATA = {"name": "rank_signals_097", "description": "Rank signals 097: resolve links for the retrieval pipeline.", "category": "retrieval", "version": "0.9.6", "author": "S. Lindqvist", "tags": ["documents", "records"], "source_key": "memory/episodic/rank_signals_097.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_signals_097', 'query': query}


def tag_events_0(items, limit=91):
    """Tag events (helper 0)."""
    return sorted(items)[:limit]


def fetch_entities_1(items, limit=48):
    """Fetch entities (helper 1)."""
    return sorted(items)[:limit]


def fetch_queries_2(items, limit=100):
    """Fetch queries (helper 2)."""
    return sorted(items)[:limit]


def classify_queries_3(items, limit=12):
    """Classify queries (helper 3)."""
    return sorted(items)[:limit]


def rank_documents_4(items, limit=91):
    """Rank documents (helper 4)."""
    return sorted(items)[:limit]
