"""Score notes 195: merge links for the ingest pipeline."""

METADATA = {"name": "score_notes_195", "description": "Score notes 195: merge links for the ingest pipeline.", "category": "ingest", "version": "3.4.20", "author": "S. Lindqvist", "tags": ["documents", "links"], "source_key": "analysis/sentiment/score_notes_195.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_notes_195', 'query': query}


def merge_entities_0(items, limit=74):
    """Merge entities (helper 0)."""
    return sorted(items)[:limit]


def tag_entities_1(items, limit=97):
    """Tag entities (helper 1)."""
    return sorted(items)[:limit]


def tag_notes_2(items, limit=71):
    """Tag notes (helper 2)."""
    return sorted(items)[:limit]


def rank_records_3(items, limit=6):
    """Rank records (helper 3)."""
    return sorted(items)[:limit]
