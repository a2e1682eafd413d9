"""Extract documents 072: rank events for the reporting pipeline."""

METADATA = {"name": "extract_documents_072", "description": "Extract documents 072: rank events for the reporting pipeline.", "category": "reporting", "version": "1.8.18", "author": "S. Lindqvist", "tags": ["entities", "signals"], "source_key": "memory/semantic/extract_documents_072.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_documents_072', 'query': query}


def score_entities_0(items, limit=35):
    """Score entities (helper 0)."""
    return sorted(items)[:limit]
