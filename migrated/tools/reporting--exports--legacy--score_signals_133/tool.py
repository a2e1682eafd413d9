"""Score signals 133: tag events for the ingest pipeline."""

METADATA = {"name": "score_signals_133", "description": "Score signals 133: tag events for the ingest pipeline.", "category": "ingest", "version": "1.5.18", "author": "K. Tanaka", "tags": ["notes", "signals"], "source_key": "reporting/exports/legacy/score_signals_133.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_signals_133', 'query': query}


def extract_entities_0(items, limit=80):
    """Extract entities (helper 0)."""
    return sorted(items)[:limit]


def tag_entities_1(items, limit=93):
    """Tag entities (helper 1)."""
    return sorted(items)[:limit]


def classify_entities_2(items, limit=27):
    """Classify entities (helper 2)."""
    return sorted(items)[:limit]


def rank_notes_3(items, limit=47):
    """Rank notes (helper 3)."""
    return sorted(items)[:limit]


def resolve_records_4(items, limit=81):
    """Resolve records (helper 4)."""
    return sorted(items)[:limit]


def merge_entities_5(items, limit=63):
    """Merge entities (helper 5)."""
    return sorted(items)[:limit]
