"""Score events 175: fetch queries for the retrieval pipeline."""

METADATA = {"name": "score_events_175", "description": "Score events 175: fetch queries for the retrieval pipeline.", "category": "retrieval", "version": "1.3.13", "author": "A. Moreau", "tags": ["notes", "queries"], "source_key": "analysis/entities/legacy/score_events_175.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_events_175', 'query': query}


def rank_signals_0(items, limit=49):
    """Rank signals (helper 0)."""
    return sorted(items)[:limit]


def extract_records_1(items, limit=69):
    """Extract records (helper 1)."""
    return sorted(items)[:limit]


def score_notes_2(items, limit=38):
    """Score notes (helper 2)."""
    return sorted(items)[:limit]


def classify_entities_3(items, limit=66):
    """Classify entities (helper 3)."""
    return sorted(items)[:limit]


def classify_entities_4(items, limit=46):
    """Classify entities (helper 4)."""
    return sorted(items)[:limit]


def score_entities_5(items, limit=89):
    """Score entities (helper 5)."""
    return sorted(items)[:limit]
