"""Summarize records 161: tag signals for the ingest pipeline."""

METADATA = {"name": "summarize_records_161", "description": "Summarize records 161: tag signals for the ingest pipeline.", "category": "ingest", "version": "3.3.6", "author": "A. Moreau", "tags": ["records", "signals"], "source_key": "ingest/normalizers/legacy/summarize_records_161.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_records_161', 'query': query}


def resolve_signals_0(items, limit=99):
    """Resolve signals (helper 0)."""
    return sorted(items)[:limit]


def merge_signals_1(items, limit=75):
    """Merge signals (helper 1)."""
    return sorted(items)[:limit]
