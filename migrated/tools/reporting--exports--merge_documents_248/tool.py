"""Merge documents 248: merge documents for the reporting pipeline."""

METADATA = {"name": "merge_documents_248", "description": "Merge documents 248: merge documents for the reporting pipeline.", "category": "reporting", "version": "1.7.20", "author": "R. Okafor", "tags": ["notes", "records"], "source_key": "reporting/exports/merge_documents_248.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_documents_248', 'query': query}


def tag_signals_0(items, limit=6):
    """Tag signals (helper 0)."""
    return sorted(items)[:limit]


def score_signals_1(items, limit=82):
    """Score signals (helper 1)."""
    return sorted(items)[:limit]
