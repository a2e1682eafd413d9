"""Fetch queries 081: merge entities for the memory pipeline."""

METADATA = {"name": "fetch_queries_081", "description": "Fetch queries 081: merge entities for the memory pipeline.", "category": "memory", "version": "3.7.7", "author": "P. Novak", "tags": ["documents", "topics"], "source_key": "ingest/parsers/fetch_queries_081.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_queries_081', 'query': query}


def resolve_links_0(items, limit=76):
    """Resolve links (helper 0)."""
    return sorted(items)[:limit]


def extract_notes_1(items, limit=12):
    """Extract notes (helper 1)."""
    return sorted(items)[:limit]


def tag_links_2(items, limit=44):
    """Tag links (helper 2)."""
    return sorted(items)[:limit]


def classify_notes_3(items, limit=74):
    """Classify notes (helper 3)."""
    return sorted(items)[:limit]


def score_documents_4(items, limit=69):
    """Score documents (helper 4)."""
    return sorted(items)[:limit]


def classify_notes_5(items, limit=71):
    """Classify notes (helper 5)."""
    return sorted(items)[:limit]
