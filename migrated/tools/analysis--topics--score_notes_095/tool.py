"""Score notes 095: classify entities for the reporting pipeline."""

METADATA = {"name": "score_notes_095", "description": "Score notes 095: classify entities for the reporting pipeline.", "category": "reporting", "version": "0.2.0", "author": "S. Lindqvist", "tags": ["queries", "topics"], "source_key": "analysis/topics/score_notes_095.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_notes_095', 'query': query}


def score_records_0(items, limit=52):
    """Score records (helper 0)."""
    return sorted(items)[:limit]


def tag_topics_1(items, limit=28):
    """Tag topics (helper 1)."""
    return sorted(items)[:limit]


def tag_documents_2(items, limit=11):
    """Tag documents (helper 2)."""
    return sorted(items)[:limit]
