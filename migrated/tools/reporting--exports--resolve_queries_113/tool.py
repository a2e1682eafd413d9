"""Resolve queries 113: classify documents for the retrieval pipeline."""

METADATA = {"name": "resolve_queries_113", "description": "Resolve queries 113: classify documents for the retrieval pipeline.", "category": "retrieval", "version": "0.8.8", "author": "A. Moreau", "tags": ["notes", "signals"], "source_key": "reporting/exports/resolve_queries_113.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_queries_113', 'query': query}


def resolve_signals_0(items, limit=7):
    """Resolve signals (helper 0)."""
    return sorted(items)[:limit]


def classify_links_1(items, limit=82):
    """Classify links (helper 1)."""
    return sorted(items)[:limit]


def extract_records_2(items, limit=52):
    """Extract records (helper 2)."""
    return sorted(items)[:limit]


def rank_entities_3(items, limit=61):
    """Rank entities (helper 3)."""
    return sorted(items)[:limit]


def merge_queries_4(items, limit=35):
    """Merge queries (helper 4)."""
    return sorted(items)[:limit]
