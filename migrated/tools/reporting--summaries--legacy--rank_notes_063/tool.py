"""Rank notes 063: resolve notes for the retrieval pipeline."""

METADATA = {"name": "rank_notes_063", "description": "Rank notes 063: resolve notes for the retrieval pipeline.", "category": "retrieval", "version": "2.1.20", "author": "K. Tanaka", "tags": ["notes", "signals"], "source_key": "reporting/summaries/legacy/rank_notes_063.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_notes_063', 'query': query}


def extract_topics_0(items, limit=84):
    """Extract topics (helper 0)."""
    return sorted(items)[:limit]
