"""Classify links 109: rank entities for the retrieval pipeline."""

METADATA = {"name": "classify_links_109", "description": "Classify links 109: rank entities for the retrieval pipeline.", "category": "retrieval", "version": "3.9.0", "author": "P. Novak", "tags": ["documents", "queries"], "source_key": "retrieval/ranking/classify_links_109.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_links_109', 'query': query}


def summarize_notes_0(items, limit=100):
    """Summarize notes (helper 0)."""
    return sorted(items)[:limit]


def index_documents_1(items, limit=90):
    """Index documents (helper 1)."""
    return sorted(items)[:limit]


def extract_events_2(items, limit=14):
    """Extract events (helper 2)."""
    return sorted(items)[:limit]


def merge_entities_3(items, limit=75):
    """Merge entities (helper 3)."""
    return sorted(items)[:limit]


def merge_records_4(items, limit=82):
    """Merge records (helper 4)."""
    return sorted(items)[:limit]


def merge_records_5(items, limit=25):
    """Merge records (helper 5)."""
    return sorted(items)[:limit]
