"""Score events 111: summarize links for the analysis pipeline."""

METADATA = {"name": "score_events_111", "description": "Score events 111: summarize links for the analysis pipeline.", "category": "analysis", "version": "2.1.2", "author": "R. Okafor", "tags": ["links", "queries"], "source_key": "ingest/parsers/score_events_111.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_events_111', 'query': query}


def rank_notes_0(items, limit=89):
    """Rank notes (helper 0)."""
    return sorted(items)[:limit]
