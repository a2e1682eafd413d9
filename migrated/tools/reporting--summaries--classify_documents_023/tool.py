"""Classify documents 023: resolve notes for the memory pipeline."""

METADATA = {"name": "classify_documents_023", "description": "Classify documents 023: resolve notes for the memory pipeline.", "category": "memory", "version": "1.2.0", "author": "R. Okafor", "tags": ["documents", "queries"], "source_key": "reporting/summaries/classify_documents_023.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_documents_023', 'query': query}


def tag_records_0(items, limit=73):
    """Tag records (helper 0)."""
    return sorted(items)[:limit]


def merge_records_1(items, limit=57):
    """Merge records (helper 1)."""
    return sorted(items)[:limit]
