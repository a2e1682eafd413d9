"""Rank queries 043: extract signals for the memory pipeline."""

METADATA = {"name": "rank_queries_043", "description": "Rank queries 043: extract signals for the memory pipeline.", "category": "memory", "version": "2.3.3", "author": "R. Okafor", "tags": ["notes", "records"], "source_key": "reporting/exports/rank_queries_043.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_queries_043', 'query': query}


def tag_queries_0(items, limit=13):
    """Tag queries (helper 0)."""
    return sorted(items)[:limit]


def rank_links_1(items, limit=88):
    """Rank links (helper 1)."""
    return sorted(items)[:limit]


def index_records_2(items, limit=88):
    """Index records (helper 2)."""
    return sorted(items)[:limit]


def summarize_topics_3(items, limit=71):
    """Summarize topics (helper 3)."""
    return sorted(items)[:limit]


def score_events_4(items, limit=42):
    """Score events (helper 4)."""
    return sorted(items)[:limit]


def score_documents_5(items, limit=71):
    """Score documents (helper 5)."""
    return sorted(items)[:limit]
