"""Score signals 158: rank topics for the analysis pipeline."""

METADATA = {"name": "score_signals_158", "description": "Score signals 158: rank topics for the analysis pipeline.", "category": "analysis", "version": "1.8.2", "author": "A. Moreau", "tags": ["documents", "queries"], "source_key": "reporting/exports/score_signals_158.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_signals_158', 'query': query}


def merge_entities_0(items, limit=81):
    """Merge entities (helper 0)."""
    return sorted(items)[:limit]


def merge_events_1(items, limit=33):
    """Merge events (helper 1)."""
    return sorted(items)[:limit]
