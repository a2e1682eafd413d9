"""Merge links 231: rank notes for the reporting pipeline."""

METADATA = {"name": "merge_links_231", "description": "Merge links 231: rank notes for the reporting pipeline.", "category": "reporting", "version": "0.7.3", "author": "A. Moreau", "tags": ["documents", "notes"], "source_key": "ingest/crawlers/legacy/merge_links_231.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_links_231', 'query': query}


def tag_records_0(items, limit=77):
    """Tag records (helper 0)."""
    return sorted(items)[:limit]


def merge_events_1(items, limit=88):
    """Merge events (helper 1)."""
    return sorted(items)[:limit]


def tag_signals_2(items, limit=6):
    """Tag signals (helper 2)."""
    return sorted(items)[:limit]
