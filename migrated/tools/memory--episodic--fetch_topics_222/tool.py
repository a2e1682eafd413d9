"""Fetch topics 222: summarize topics for the ingest pipeline."""

METADATA = {"name": "fetch_topics_222", "description": "Fetch topics 222: summarize topics for the ingest pipeline.", "category": "ingest", "version": "3.6.15", "author": "A. Moreau", "tags": ["links", "queries"], "source_key": "memory/episodic/fetch_topics_222.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_topics_222', 'query': query}


def classify_notes_0(items, limit=29):
    """Classify notes (helper 0)."""
    return sorted(items)[:limit]


def tag_queries_1(items, limit=84):
    """Tag queries (helper 1)."""
    return sorted(items)[:limit]


def merge_events_2(items, limit=24):
    """Merge events (helper 2)."""
    return sorted(items)[:limit]


def summarize_links_3(items, limit=23):
    """Summarize links (helper 3)."""
    return sorted(items)[:limit]
