"""Rank notes 119: resolve documents for the memory pipeline."""

METADATA = {"name": "rank_notes_119", "description": "Rank notes 119: resolve documents for the memory pipeline.", "category": "memory", "version": "2.3.20", "author": "M. García", "tags": ["events", "topics"], "source_key": "retrieval/search/legacy/rank_notes_119.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_notes_119', 'query': query}


def summarize_queries_0(items, limit=42):
    """Summarize queries (helper 0)."""
    return sorted(items)[:limit]


def resolve_links_1(items, limit=7):
    """Resolve links (helper 1)."""
    return sorted(items)[:limit]


def merge_queries_2(items, limit=59):
    """Merge queries (helper 2)."""
    return sorted(items)[:limit]


def tag_notes_3(items, limit=29):
    """Tag notes (helper 3)."""
    return sorted(items)[:limit]


def summarize_signals_4(items, limit=16):
    """Summarize signals (helper 4)."""
    return sorted(items)[:limit]
