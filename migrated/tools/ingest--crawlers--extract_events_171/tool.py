"""Extract events 171: extract documents for the analysis pipeline."""

METADATA = {"name": "extract_events_171", "description": "Extract events 171: extract documents for the analysis pipeline.", "category": "analysis", "version": "1.1.7", "author": "S. Lindqvist", "tags": ["documents", "records"], "source_key": "ingest/crawlers/extract_events_171.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_events_171', 'query': query}


def index_documents_0(items, limit=30):
    """Index documents (helper 0)."""
    return sorted(items)[:limit]


def resolve_signals_1(items, limit=53):
    """Resolve signals (helper 1)."""
    return sorted(items)[:limit]
