"""Classify entities 038: score documents for the retrieval pipeline."""

METADATA = {"name": "classify_entities_038", "description": "Classify entities 038: score documents for the retrieval pipeline.", "category": "retrieval", "version": "3.3.15", "author": "A. Moreau", "tags": ["entities", "links"], "source_key": "reporting/summaries/classify_entities_038.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_entities_038', 'query': query}


def summarize_entities_0(items, limit=94):
    """Summarize entities (helper 0)."""
    return sorted(items)[:limit]


def fetch_entities_1(items, limit=60):
    """Fetch entities (helper 1)."""
    return sorted(items)[:limit]


def merge_notes_2(items, limit=84):
    """Merge notes (helper 2)."""
    return sorted(items)[:limit]


def fetch_documents_3(items, limit=44):
    """Fetch documents (helper 3)."""
    return sorted(items)[:limit]


def index_records_4(items, limit=42):
    """Index records (helper 4)."""
    return sorted(items)[:limit]
