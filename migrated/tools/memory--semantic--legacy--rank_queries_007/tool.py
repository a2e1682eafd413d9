"""Rank queries 007: classify entities for the ingest pipeline."""

METADATA = {"name": "rank_queries_007", "description": "Rank queries 007: classify entities for the ingest pipeline.", "category": "ingest", "version": "1.1.3", "author": "P. Novak", "tags": ["documents", "topics"], "source_key": "memory/semantic/legacy/rank_queries_007.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_queries_007', 'query': query}


def merge_entities_0(items, limit=61):
    """Merge entities (helper 0)."""
    return sorted(items)[:limit]


def index_links_1(items, limit=82):
    """Index links (helper 1)."""
    return sorted(items)[:limit]


def extract_events_2(items, limit=59):
    """Extract events (helper 2)."""
    return sorted(items)[:limit]


def extract_links_3(items, limit=69):
    """Extract links (helper 3)."""
    return sorted(items)[:limit]


def summarize_events_4(items, limit=66):
    """Summarize events (helper 4)."""
    return sorted(items)[:limit]
