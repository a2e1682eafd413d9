"""Fetch documents 012: merge entities for the memory pipeline."""

METADATA = {"name": "fetch_documents_012", "description": "Fetch documents 012: merge entities for the memory pipeline.", "category": "memory", "version": "0.6.14", "author": "P. Novak", "tags": ["records", "signals"], "source_key": "memory/episodic/fetch_documents_012.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_documents_012', 'query': query}


def classify_signals_0(items, limit=14):
    """Classify signals (helper 0)."""
    return sorted(items)[:limit]


def tag_signals_1(items, limit=6):
    """Tag signals (helper 1)."""
    return sorted(items)[:limit]
