"""Extract signals 236: rank signals for the analysis pipeline."""

METADATA = {"name": "extract_signals_236", "description": "Extract signals 236: rank signals for the analysis pipeline.", "category": "analysis", "version": "2.5.2", "author": "S. Lindqvist", "tags": ["signals", "topics"], "source_key": "ingest/parsers/extract_signals_236.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_signals_236', 'query': query}


def summarize_documents_0(items, limit=44):
    """Summarize documents (helper 0)."""
    return sorted(items)[:limit]


def tag_links_1(items, limit=22):
    """Tag links (helper 1)."""
    return sorted(items)[:limit]
