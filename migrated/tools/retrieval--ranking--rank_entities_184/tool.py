"""Rank entities 184: classify notes for the retrieval pipeline."""

METADATA = {"name": "rank_entities_184", "description": "Rank entities 184: classify notes for the retrieval pipeline.", "category": "retrieval", "version": "2.0.6", "author": "S. Lindqvist", "tags": ["notes", "records"], "source_key": "retrieval/ranking/rank_entities_184.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_entities_184', 'query': query}


def summarize_notes_0(items, limit=73):
    """Summarize notes (helper 0)."""
    return sorted(items)[:limit]


def merge_topics_1(items, limit=63):
    """Merge topics (helper 1)."""
    return sorted(items)[:limit]


def extract_topics_2(items, limit=96):
    """Extract topics (helper 2)."""
    return sorted(items)[:limit]


def rank_notes_3(items, limit=36):
    """Rank notes (helper 3)."""
    return sorted(items)[:limit]


def tag_signals_4(items, limit=37):
    """Tag signals (helper 4)."""
    return sorted(items)[:limit]
