"""Resolve links 210: summarize entities for the retrieval pipeline."""

METADATA = {"name": "resolve_links_210", "description": "Resolve links 210: summarize entities for the retrieval pipeline.", "category": "retrieval", "version": "0.6.13", "author": "S. Lindqvist", "tags": ["links", "notes"], "source_key": "analysis/entities/legacy/resolve_links_210.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_links_210', 'query': query}


def fetch_queries_0(items, limit=42):
    """Fetch queries (helper 0)."""
    return sorted(items)[:limit]


def merge_records_1(items, limit=49):
    """Merge records (helper 1)."""
    return sorted(items)[:limit]


def extract_entities_2(items, limit=62):
    """Extract entities (helper 2)."""
    return sorted(items)[:limit]


def rank_notes_3(items, limit=98):
    """Rank notes (helper 3)."""
    return sorted(items)[:limit]
