"""Classify links 223: classify queries for the analysis pipeline."""

METADATA = {"name": "classify_links_223", "description": "Classify links 223: classify queries for the analysis pipeline.", "category": "analysis", "version": "2.2.4", "author": "A. Moreau", "tags": ["events", "queries"], "source_key": "reporting/exports/classify_links_223.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_links_223', 'query': query}


def tag_links_0(items, limit=82):
    """Tag links (helper 0)."""
    return sorted(items)[:limit]


def score_records_1(items, limit=72):
    """Score records (helper 1)."""
    return sorted(items)[:limit]
