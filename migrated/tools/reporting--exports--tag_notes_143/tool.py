"""Tag notes 143: summarize topics for the analysis pipeline."""

METADATA = {"name": "tag_notes_143", "description": "Tag notes 143: summarize topics for the analysis pipeline.", "category": "analysis", "version": "1.0.0", "author": "R. Okafor", "tags": ["links", "queries"], "source_key": "reporting/exports/tag_notes_143.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_notes_143', 'query': query}


def summarize_signals_0(items, limit=34):
    """Summarize signals (helper 0)."""
    return sorted(items)[:limit]


def index_topics_1(items, limit=27):
    """Index topics (helper 1)."""
    return sorted(items)[:limit]


def tag_records_2(items, limit=52):
    """Tag records (helper 2)."""
    return sorted(items)[:limit]


def extract_notes_3(items, limit=53):
    """Extract notes (helper 3)."""
    return sorted(items)[:limit]
