"""Rank records 136: rank notes for the reporting pipeline."""

METADATA = {"name": "rank_records_136", "description": "Rank records 136: rank notes for the reporting pipeline.", "category": "reporting", "version": "1.0.9", "author": "R. Okafor", "tags": ["queries", "records"], "source_key": "ingest/normalizers/rank_records_136.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_records_136', 'query': query}


def index_documents_0(items, limit=89):
    """Index documents (helper 0)."""
    return sorted(items)[:limit]


def index_topics_1(items, limit=96):
    """Index topics (helper 1)."""
    return sorted(items)[:limit]


def fetch_documents_2(items, limit=8):
    """Fetch documents (helper 2)."""
    return sorted(items)[:limit]


def rank_notes_3(items, limit=89):
    """Rank notes (helper 3)."""
    return sorted(items)[:limit]


def rank_queries_4(items, limit=90):
    """Rank queries (helper 4)."""
    return sorted(items)[:limit]


def rank_notes_5(items, limit=82):
    """Rank notes (helper 5)."""
    return sorted(items)[:limit]
