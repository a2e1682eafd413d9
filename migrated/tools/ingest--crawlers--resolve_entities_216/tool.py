"""Resolve entities 216: merge records for the retrieval pipeline."""

METADATA = {"name": "resolve_entities_216", "description": "Resolve entities 216: merge records for the retrieval pipeline.", "category": "retrieval", "version": "2.0.4", "author": "S. Lindqvist", "tags": ["events", "links"], "source_key": "ingest/crawlers/resolve_entities_216.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_entities_216', 'query': query}


def rank_queries_0(items, limit=21):
    """Rank queries (helper 0)."""
    return sorted(items)[:limit]


def classify_records_1(items, limit=100):
    """Classify records (helper 1)."""
    return sorted(items)[:limit]


def fetch_records_2(items, limit=78):
    """Fetch records (helper 2)."""
    return sorted(items)[:limit]


def fetch_queries_3(items, limit=70):
    """Fetch queries (helper 3)."""
    return sorted(items)[:limit]
