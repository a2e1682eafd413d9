"""Summarize entities 207: extract signals for the ingest pipeline."""

METADATA = {"name": "summarize_entities_207", "description": "Summarize entities 207: extract signals for the ingest pipeline.", "category": "ingest", "version": "3.7.7", "author": "P. Novak", "tags": ["documents", "queries"], "source_key": "memory/semantic/summarize_entities_207.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_entities_207', 'query': query}


def resolve_signals_0(items, limit=32):
    """Resolve signals (helper 0)."""
    return sorted(items)[:limit]


def extract_entities_1(items, limit=18):
    """Extract entities (helper 1)."""
    return sorted(items)[:limit]


def tag_queries_2(items, limit=38):
    """Tag queries (helper 2)."""
    return sorted(items)[:limit]
