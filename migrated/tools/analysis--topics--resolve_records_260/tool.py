"""Resolve records 260: fetch records for the retrieval pipeline."""

METADATA = {"name": "resolve_records_260", "description": "Resolve records 260: fetch records for the retrieval pipeline.", "category": "retrieval", "version": "3.3.9", "author": "A. Moreau", "tags": ["queries", "signals"], "source_key": "analysis/topics/resolve_records_260.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_records_260', 'query': query}


def resolve_links_0(items, limit=68):
    """Resolve links (helper 0)."""
    return sorted(items)[:limit]


def fetch_records_1(items, limit=33):
    """Fetch records (helper 1)."""
    return sorted(items)[:limit]


def tag_queries_2(items, limit=26):
    """Tag queries (helper 2)."""
    return sorted(items)[:limit]


def index_notes_3(items, limit=30):
    """Index notes (helper 3)."""
    return sorted(items)[:limit]


def extract_records_4(items, limit=6):
    """Extract records (helper 4)."""
    return sorted(items)[:limit]
