"""Rank links 138: index notes for the analysis pipeline."""

METADATA = {"name": "rank_links_138", "description": "Rank links 138: index notes for the analysis pipeline.", "category": "analysis", "version": "1.4.3", "author": "P. Novak", "tags": ["documents", "notes"], "source_key": "reporting/summaries/rank_links_138.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_links_138', 'query': query}


def merge_events_0(items, limit=59):
    """Merge events (helper 0)."""
    return sorted(items)[:limit]


def summarize_records_1(items, limit=16):
    """Summarize records (helper 1)."""
    return sorted(items)[:limit]
