"""Rank entities 101: merge entities for the ingest pipeline."""

METADATA = {"name": "rank_entities_101", "description": "Rank entities 101: merge entities for the ingest pipeline.", "category": "ingest", "version": "3.3.10", "author": "K. Tanaka", "tags": ["entities", "records"], "source_key": "ingest/normalizers/rank_entities_101.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_entities_101', 'query': query}


def summarize_topics_0(items, limit=69):
    """Summarize topics (helper 0)."""
    return sorted(items)[:limit]


def extract_notes_1(items, limit=61):
    """Extract notes (helper 1)."""
    return sorted(items)[:limit]
