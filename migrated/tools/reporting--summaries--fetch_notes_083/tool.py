"""Fetch notes 083: tag notes for the analysis pipeline."""

METADATA = {"name": "fetch_notes_083", "description": "Fetch notes 083: tag notes for the analysis pipeline.", "category": "analysis", "version": "1.3.1", "author": "R. Okafor", "tags": ["events", "notes"], "source_key": "reporting/summaries/fetch_notes_083.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_notes_083', 'query': query}


def score_records_0(items, limit=63):
    """Score records (helper 0)."""
    return sorted(items)[:limit]


def score_signals_1(items, limit=55):
    """Score signals (helper 1)."""
    return sorted(items)[:limit]


def summarize_entities_2(items, limit=28):
    """Summarize entities (helper 2)."""
    return sorted(items)[:limit]
