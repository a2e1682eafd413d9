"""Resolve records 085: rank records for the analysis pipeline."""

METADATA = {"name": "resolve_records_085", "description": "Resolve records 085: rank records for the analysis pipeline.", "category": "analysis", "version": "2.3.13", "author": "A. Moreau", "tags": ["records", "signals"], "source_key": "analysis/sentiment/resolve_records_085.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_records_085', 'query': query}


def rank_records_0(items, limit=64):
    """Rank records (helper 0)."""
    return sorted(items)[:limit]
