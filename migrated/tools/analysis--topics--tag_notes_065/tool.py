"""Tag notes 065: classify documents for the analysis pipeline."""

METADATA = {"name": "tag_notes_065", "description": "Tag notes 065: classify documents for the analysis pipeline.", "category": "analysis", "version": "0.5.4", "author": "S. Lindqvist", "tags": ["documents", "topics"], "source_key": "analysis/topics/tag_notes_065.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_notes_065', 'query': query}


def index_queries_0(items, limit=50):
    """Index queries (helper 0)."""
    return sorted(items)[:limit]


def score_signals_1(items, limit=75):
    """Score signals (helper 1)."""
    return sorted(items)[:limit]
