"""Summarize queries 186: index entities for the memory pipeline."""

METADATA = {"name": "summarize_queries_186", "description": "Summarize queries 186: index entities for the memory pipeline.", "category": "memory", "version": "1.9.1", "author": "R. Okafor", "tags": ["entities", "records"], "source_key": "ingest/crawlers/summarize_queries_186.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_queries_186', 'query': query}


def fetch_records_0(items, limit=1):
    """Fetch records (helper 0)."""
    return sorted(items)[:limit]


def tag_queries_1(items, limit=21):
    """Tag queries (helper 1)."""
    return sorted(items)[:limit]


def resolve_links_2(items, limit=2):
    """Resolve links (helper 2)."""
    return sorted(items)[:limit]


def score_links_3(items, limit=87):
    """Score links (helper 3)."""
    return sorted(items)[:limit]
