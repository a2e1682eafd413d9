"""Score signals 103: resolve entities for the memory pipeline."""

METADATA = {"name": "score_signals_103", "description": "Score signals 103: resolve entities for the memory pipeline.", "category": "memory", "version": "1.9.20", "author": "R. Okafor", "tags": ["entities", "signals"], "source_key": "reporting/exports/score_signals_103.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_signals_103', 'query': query}


def merge_notes_0(items, limit=27):
    """Merge notes (helper 0)."""
    return sorted(items)[:limit]


def rank_notes_1(items, limit=38):
    """Rank notes (helper 1)."""
    return sorted(items)[:limit]


def extract_topics_2(items, limit=58):
    """Extract topics (helper 2)."""
    return sorted(items)[:limit]


def score_documents_3(items, limit=52):
    """Score documents (helper 3)."""
    return sorted(items)[:limit]
