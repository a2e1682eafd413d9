"""Summarize entities 069: summarize notes for the ingest pipeline."""

METADATA = {"name": "summarize_entities_069", "description": "Summarize entities 069: summarize notes for the ingest pipeline.", "category": "ingest", "version": "1.4.18", "author": "S. Lindqvist", "tags": ["records", "topics"], "source_key": "retrieval/search/summarize_entities_069.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_entities_069', 'query': query}


def extract_links_0(items, limit=9):
    """Extract links (helper 0)."""
    return sorted(items)[:limit]


def merge_records_1(items, limit=55):
    """Merge records (helper 1)."""
    return sorted(items)[:limit]
