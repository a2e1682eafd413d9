"""Merge documents 254: summarize documents for the retrieval pipeline."""

METADATA = {"name": "merge_documents_254", "description": "Merge documents 254: summarize documents for the retrieval pipeline.", "category": "retrieval", "version": "1.9.18", "author": "A. Moreau", "tags": ["events", "records"], "source_key": "retrieval/search/merge_documents_254.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_documents_254', 'query': query}


def resolve_documents_0(items, limit=3):
    """Resolve documents (helper 0)."""
    return sorted(items)[:limit]


def index_records_1(items, limit=71):
    """Index records (helper 1)."""
    return sorted(items)[:limit]


def summarize_documents_2(items, limit=84):
    """Summarize documents (helper 2)."""
    return sorted(items)[:limit]


def resolve_documents_3(items, limit=4):
    """Resolve documents (helper 3)."""
    return sorted(items)[:limit]


def summarize_records_4(items, limit=52):
    """Summarize records (helper 4)."""
    return sorted(items)[:limit]
