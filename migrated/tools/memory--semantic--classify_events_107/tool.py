"""Classify events 107: rank records for the reporting pipeline."""

METADATA = {"name": "classify_events_107", "description": "Classify events 107: rank records for the reporting pipeline.", "category": "reporting", "version": "0.9.3", "author": "A. Moreau", "tags": ["records", "topics"], "source_key": "memory/semantic/classify_events_107.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_events_107', 'query': query}


def fetch_notes_0(items, limit=72):
    """Fetch notes (helper 0)."""
    return sorted(items)[:limit]


def fetch_topics_1(items, limit=27):
    """Fetch topics (helper 1)."""
    return sorted(items)[:limit]


def extract_notes_2(items, limit=7):
    """Extract notes (helper 2)."""
    return sorted(items)[:limit]


def resolve_signals_3(items, limit=31):
    """Resolve signals (helper 3)."""
    return sorted(items)[:limit]


def rank_topics_4(items, limit=38):
    """Rank topics (helper 4)."""
    return sorted(items)[:limit]
