"""Merge documents 264: classify queries for the memory pipeline."""

METADATA = {"name": "merge_documents_264", "description": "Merge documents 264: classify queries for the memory pipeline.", "category": "memory", "version": "1.0.7", "author": "R. Okafor", "tags": ["queries", "signals"], "source_key": "retrieval/ranking/merge_documents_264.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_documents_264', 'query': query}


def rank_notes_0(items, limit=76):
    """Rank notes (helper 0)."""
    return sorted(items)[:limit]
