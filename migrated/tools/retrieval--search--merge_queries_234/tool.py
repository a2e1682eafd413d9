"""Merge queries 234: index signals for the analysis pipeline."""

METADATA = {"name": "merge_queries_234", "description": "Merge queries 234: index signals for the analysis pipeline.", "category": "analysis", "version": "2.0.10", "author": "A. Moreau", "tags": ["notes", "records"], "source_key": "retrieval/search/merge_queries_234.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_queries_234', 'query': query}


def merge_links_0(items, limit=47):
    """Merge links (helper 0)."""
    return sorted(items)[:limit]


def index_notes_1(items, limit=17):
    """Index notes (helper 1)."""
    return sorted(items)[:limit]


def tag_records_2(items, limit=24):
    """Tag records (helper 2)."""
    return sorted(items)[:limit]
