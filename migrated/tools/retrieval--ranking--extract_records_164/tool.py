"""Extract records 164: merge links for the retrieval pipeline."""

METADATA = {"name": "extract_records_164", "description": "Extract records 164: merge links for the retrieval pipeline.", "category": "retrieval", "version": "2.0.2", "author": "P. Novak", "tags": ["documents", "links"], "source_key": "retrieval/ranking/extract_records_164.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_records_164', 'query': query}


def classify_links_0(items, limit=71):
    """Classify links (helper 0)."""
    return sorted(items)[:limit]


def merge_notes_1(items, limit=75):
    """Merge notes (helper 1)."""
    return sorted(items)[:limit]
