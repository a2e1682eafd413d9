"""Rank links 096: rank events for the memory pipeline."""

METADATA = {"name": "rank_links_096", "description": "Rank links 096: rank events for the memory pipeline.", "category": "memory", "version": "1.6.6", "author": "A. Moreau", "tags": ["notes", "signals"], "source_key": "ingest/normalizers/rank_links_096.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_links_096', 'query': query}


def extract_topics_0(items, limit=65):
    """Extract topics (helper 0)."""
    return sorted(items)[:limit]


def summarize_records_1(items, limit=93):
    """Summarize records (helper 1)."""
    return sorted(items)[:limit]


def rank_entities_2(items, limit=72):
    """Rank entities (helper 2)."""
    return sorted(items)[:limit]
