"""Summarize links 217: classify events for the ingest pipeline."""

METADATA = {"name": "summarize_links_217", "description": "Summarize links 217: classify events for the ingest pipeline.", "category": "ingest", "version": "2.9.18", "author": "K. Tanaka", "tags": ["documents", "records"], "source_key": "memory/episodic/legacy/summarize_links_217.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_links_217', 'query': query}


def summarize_queries_0(items, limit=94):
    """Summarize queries (helper 0)."""
    return sorted(items)[:limit]


def resolve_records_1(items, limit=83):
    """Resolve records (helper 1)."""
    return sorted(items)[:limit]
