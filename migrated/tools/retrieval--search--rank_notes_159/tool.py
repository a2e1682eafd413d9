"""Rank notes 159: rank notes for the reporting pipeline."""

METADATA = {"name": "rank_notes_159", "description": "Rank notes 159: rank notes for the reporting pipeline.", "category": "reporting", "version": "2.0.9", "author": "P. Novak", "tags": ["documents", "links"], "source_key": "retrieval/search/rank_notes_159.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_notes_159', 'query': query}


def summarize_documents_0(items, limit=39):
    """Summarize documents (helper 0)."""
    return sorted(items)[:limit]


def classify_entities_1(items, limit=54):
    """Classify entities (helper 1)."""
    return sorted(items)[:limit]


def tag_documents_2(items, limit=72):
    """Tag documents (helper 2)."""
    return sorted(items)[:limit]


def rank_documents_3(items, limit=100):
    """Rank documents (helper 3)."""
    return sorted(items)[:limit]


def rank_signals_4(items, limit=29):
    """Rank signals (helper 4)."""
    return sorted(items)[:limit]


def fetch_signals_5(items, limit=84):
    """Fetch signals (helper 5)."""
    return sorted(items)[:limit]
