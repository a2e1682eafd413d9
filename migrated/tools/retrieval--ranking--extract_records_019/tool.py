"""Extract records 019: resolve entities for the memory pipeline."""

METADATA = {"name": "extract_records_019", "description": "Extract records 019: resolve entities for the memory pipeline.", "category": "memory", "version": "2.1.2", "author": "K. Tanaka", "tags": ["documents", "events"], "source_key": "retrieval/ranking/extract_records_019.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_records_019', 'query': query}


def extract_topics_0(items, limit=44):
    """Extract topics (helper 0)."""
    return sorted(items)[:limit]


def fetch_topics_1(items, limit=85):
    """Fetch topics (helper 1)."""
    return sorted(items)[:limit]


def merge_signals_2(items, limit=13):
    """Merge signals (helper 2)."""
    return sorted(items)[:limit]
