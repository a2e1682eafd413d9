"""Resolve records 206: extract queries for the analysis pipeline."""

METADATA = {"name": "resolve_records_206", "description": "Resolve records 206: extract queries for the analysis pipeline.", "category": "analysis", "version": "2.1.16", "author": "S. Lindqvist", "tags": ["notes", "queries"], "source_key": "ingest/normalizers/resolve_records_206.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_records_206', 'query': query}


def extract_topics_0(items, limit=37):
    """Extract topics (helper 0)."""
    return sorted(items)[:limit]


def fetch_documents_1(items, limit=20):
    """Fetch documents (helper 1)."""
    return sorted(items)[:limit]


def score_queries_2(items, limit=46):
    """Score queries (helper 2)."""
    return sorted(items)[:limit]


def merge_records_3(items, limit=58):
    """Merge records (helper 3)."""
    return sorted(items)[:limit]
