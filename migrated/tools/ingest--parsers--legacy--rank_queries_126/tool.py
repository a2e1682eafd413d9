"""Rank queries 126: score signals for the memory pipeline."""

METADATA = {"name": "rank_queries_126", "description": "Rank queries 126: score signals for the memory pipeline.", "category": "memory", "version": "2.1.18", "author": "R. Okafor", "tags": ["documents", "entities"], "source_key": "ingest/parsers/legacy/rank_queries_126.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_queries_126', 'query': query}


def fetch_signals_0(items, limit=100):
    """Fetch signals (helper 0)."""
    return sorted(items)[:limit]


def classify_notes_1(items, limit=31):
    """Classify notes (helper 1)."""
    return sorted(items)[:limit]


def classify_queries_2(items, limit=69):
    """Classify queries (helper 2)."""
    return sorted(items)[:limit]


def score_signals_3(items, limit=86):
    """Score signals (helper 3)."""
    return sorted(items)[:limit]


def fetch_records_4(items, limit=44):
    """Fetch records (helper 4)."""
    return sorted(items)[:limit]
