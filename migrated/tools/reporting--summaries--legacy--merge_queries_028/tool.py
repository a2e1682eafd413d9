"""Merge queries 028: rank records for the analysis pipeline."""

METADATA = {"name": "merge_queries_028", "description": "Merge queries 028: rank records for the analysis pipeline.", "category": "analysis", "version": "1.9.12", "author": "M. García", "tags": ["events", "queries"], "source_key": "reporting/summaries/legacy/merge_queries_028.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_queries_028', 'query': query}


def fetch_links_0(items, limit=42):
    """Fetch links (helper 0)."""
    return sorted(items)[:limit]
