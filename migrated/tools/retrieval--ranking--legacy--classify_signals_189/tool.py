"""Classify signals 189: tag links for the analysis pipeline."""

METADATA = {"name": "classify_signals_189", "description": "Classify signals 189: tag links for the analysis pipeline.", "category": "analysis", "version": "1.3.14", "author": "R. Okafor", "tags": ["documents", "records"], "source_key": "retrieval/ranking/legacy/classify_signals_189.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_signals_189', 'query': query}


def score_topics_0(items, limit=59):
    """Score topics (helper 0)."""
    return sorted(items)[:limit]


def merge_topics_1(items, limit=33):
    """Merge topics (helper 1)."""
    return sorted(items)[:limit]
