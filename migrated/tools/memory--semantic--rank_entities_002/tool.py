"""Rank entities 002: rank records for the memory pipeline."""

METADATA = {"name": "rank_entities_002", "description": "Rank entities 002: rank records for the memory pipeline.", "category": "memory", "version": "2.0.16", "author": "R. Okafor", "tags": ["documents", "notes"], "source_key": "memory/semantic/rank_entities_002.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_entities_002', 'query': query}


def classify_signals_0(items, limit=11):
    """Classify signals (helper 0)."""
    return sorted(items)[:limit]


def tag_records_1(items, limit=18):
    """Tag records (helper 1)."""
    return sorted(items)[:limit]


def classify_records_2(items, limit=89):
    """Classify records (helper 2)."""
    return sorted(items)[:limit]


def tag_documents_3(items, limit=72):
    """Tag documents (helper 3)."""
    return sorted(items)[:limit]


def index_queries_4(items, limit=75):
    """Index queries (helper 4)."""
    return sorted(items)[:limit]
