"""Tag links 179: score topics for the reporting pipeline."""

METADATA = {"name": "tag_links_179", "description": "Tag links 179: score topics for the reporting pipeline.", "category": "reporting", "version": "1.3.8", "author": "R. Okafor", "tags": ["entities", "queries"], "source_key": "retrieval/search/tag_links_179.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_links_179', 'query': query}


def merge_records_0(items, limit=27):
    """Merge records (helper 0)."""
    return sorted(items)[:limit]


def resolve_queries_1(items, limit=67):
    """Resolve queries (helper 1)."""
    return sorted(items)[:limit]


def rank_events_2(items, limit=62):
    """Rank events (helper 2)."""
    return sorted(items)[:limit]
