"""Classify events 004: tag documents for the analysis pipeline."""

METADATA = {"name": "classify_events_004", "description": "Classify events 004: tag documents for the analysis pipeline.", "category": "analysis", "version": "1.8.12", "author": "A. Moreau", "tags": ["events", "queries"], "source_key": "retrieval/ranking/classify_events_004.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_events_004', 'query': query}


def fetch_entities_0(items, limit=78):
    """Fetch entities (helper 0)."""
    return sorted(items)[:limit]


def index_documents_1(items, limit=36):
    """Index documents (helper 1)."""
    return sorted(items)[:limit]


def score_links_2(items, limit=1):
    """Score links (helper 2)."""
    return sorted(items)[:limit]


def index_documents_3(items, limit=32):
    """Index documents (helper 3)."""
    return sorted(items)[:limit]


def fetch_signals_4(items, limit=59):
    """Fetch signals (helper 4)."""
    return sorted(items)[:limit]


def rank_documents_5(items, limit=2):
    """Rank documents (helper 5)."""
    return sorted(items)[:limit]
