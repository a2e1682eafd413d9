"""Score notes 261: rank records for the ingest pipeline."""

METADATA = {"name": "score_notes_261", "description": "Score notes 261: rank records for the ingest pipeline.", "category": "ingest", "version": "0.6.3", "author": "S. Lindqvist", "tags": ["documents", "queries"], "source_key": "ingest/parsers/score_notes_261.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_notes_261', 'query': query}


def merge_records_0(items, limit=15):
    """Merge records (helper 0)."""
    return sorted(items)[:limit]
