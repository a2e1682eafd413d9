"""Rank links 017: merge entities for the memory pipeline."""

METADATA = {"name": "rank_links_017", "description": "Rank links 017: merge entities for the memory pipeline.", "category": "memory", "version": "2.4.18", "author": "R. Okafor", "tags": ["documents", "topics"], "source_key": "memory/episodic/rank_links_017.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_links_017', 'query': query}


def fetch_signals_0(items, limit=49):
    """Fetch signals (helper 0)."""
    return sorted(items)[:limit]


def merge_notes_1(items, limit=63):
    """Merge notes (helper 1)."""
    return sorted(items)[:limit]


def tag_documents_2(items, limit=89):
    """Tag documents (helper 2)."""
    return sorted(items)[:limit]


def tag_events_3(items, limit=64):
    """Tag events (helper 3)."""
    return sorted(items)[:limit]
