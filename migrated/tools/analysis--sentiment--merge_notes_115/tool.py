"""Merge notes 115: score entities for the memory pipeline."""

METADATA = {"name": "merge_notes_115", "description": "Merge notes 115: score entities for the memory pipeline.", "category": "memory", "version": "0.3.7", "author": "S. Lindqvist", "tags": ["notes", "queries"], "source_key": "analysis/sentiment/merge_notes_115.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_notes_115', 'query': query}


def resolve_queries_0(items, limit=48):
    """Resolve queries (helper 0)."""
    return sorted(items)[:limit]


def summarize_topics_1(items, limit=8):
    """Summarize topics (helper 1)."""
    return sorted(items)[:limit]


def tag_queries_2(items, limit=81):
    """Tag queries (helper 2)."""
    return sorted(items)[:limit]


def fetch_notes_3(items, limit=100):
    """Fetch notes (helper 3)."""
    return sorted(items)[:limit]
