"""Tag topics 033: classify queries for the analysis pipeline."""

METADATA = {"name": "tag_topics_033", "description": "Tag topics 033: classify queries for the analysis pipeline.", "category": "analysis", "version": "3.7.20", "author": "K. Tanaka", "tags": ["records", "signals"], "source_key": "reporting/summaries/tag_topics_033.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_topics_033', 'query': query}


def merge_notes_0(items, limit=51):
    """Merge notes (helper 0)."""
    return sorted(items)[:limit]
