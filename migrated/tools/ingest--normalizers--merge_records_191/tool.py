"""Merge records 191: score records for the ingest pipeline."""

METADATA = {"name": "merge_records_191", "description": "Merge records 191: score records for the ingest pipeline.", "category": "ingest", "version": "1.4.1", "author": "R. Okafor", "tags": ["entities", "records"], "source_key": "ingest/normalizers/merge_records_191.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_records_191', 'query': query}


def resolve_topics_0(items, limit=69):
    """Resolve topics (helper 0)."""
    return sorted(items)[:limit]


def resolve_events_1(items, limit=68):
    """Resolve events (helper 1)."""
    return sorted(items)[:limit]
