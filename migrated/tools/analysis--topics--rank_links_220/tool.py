"""Rank links 220: tag links for the reporting pipeline."""

METADATA = {"name": "rank_links_220", "description": "Rank links 220: tag links for the reporting pipeline.", "category": "reporting", "version": "0.0.0", "author": "A. Moreau", "tags": ["documents", "signals"], "source_key": "analysis/topics/rank_links_220.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_links_220', 'query': query}


def classify_entities_0(items, limit=26):
    """Classify entities (helper 0)."""
    return sorted(items)[:limit]


def score_signals_1(items, limit=44):
    """Score signals (helper 1)."""
    return sorted(items)[:limit]
