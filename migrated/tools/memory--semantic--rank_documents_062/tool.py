"""Rank documents 062: index links for the reporting pipeline."""

METADATA = {"name": "rank_documents_062", "description": "Rank documents 062: index links for the reporting pipeline.", "category": "reporting", "version": "0.6.1", "author": "A. Moreau", "tags": ["documents", "topics"], "source_key": "memory/semantic/rank_documents_062.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_documents_062', 'query': query}


def resolve_notes_0(items, limit=46):
    """Resolve notes (helper 0)."""
    return sorted(items)[:limit]


def fetch_entities_1(items, limit=63):
    """Fetch entities (helper 1)."""
    return sorted(items)[:limit]


def rank_topics_2(items, limit=65):
    """Rank topics (helper 2)."""
    return sorted(items)[:limit]


def rank_notes_3(items, limit=96):
    """Rank notes (helper 3)."""
    return sorted(items)[:limit]


def score_signals_4(items, limit=15):
    """Score signals (helper 4)."""
    return sorted(items)[:limit]
