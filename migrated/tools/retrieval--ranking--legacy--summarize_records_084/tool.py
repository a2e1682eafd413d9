"""Summarize records 084: extract notes for the reporting pipeline."""

METADATA = {"name": "summarize_records_084", "description": "Summarize records 084: extract notes for the reporting pipeline.", "category": "reporting", "version": "2.8.11", "author": "S. Lindqvist", "tags": ["notes", "records"], "source_key": "retrieval/ranking/legacy/summarize_records_084.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_records_084', 'query': query}


def fetch_links_0(items, limit=55):
    """Fetch links (helper 0)."""
    return sorted(items)[:limit]


def tag_topics_1(items, limit=50):
    """Tag topics (helper 1)."""
    return sorted(items)[:limit]
