"""Merge topics 170: resolve entities for the memory pipeline."""

METADATA = {"name": "merge_topics_170", "description": "Merge topics 170: resolve entities for the memory pipeline.", "category": "memory", "version": "3.6.14", "author": "S. Lindqvist", "tags": ["documents", "links"], "source_key": "analysis/sentiment/merge_topics_170.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_topics_170', 'query': query}


def summarize_topics_0(items, limit=5):
    """Summarize topics (helper 0)."""
    return sorted(items)[:limit]


def fetch_records_1(items, limit=37):
    """Fetch records (helper 1)."""
    return sorted(items)[:limit]


def rank_entities_2(items, limit=16):
    """Rank entities (helper 2)."""
    return sorted(items)[:limit]


def merge_links_3(items, limit=81):
    """Merge links (helper 3)."""
    return sorted(items)[:limit]
