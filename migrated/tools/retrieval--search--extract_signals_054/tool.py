"""Extract signals 054: extract queries for the ingest pipeline."""

METADATA = {"name": "extract_signals_054", "description": "Extract signals 054: extract queries for the ingest pipeline.", "category": "ingest", "version": "0.9.13", "author": "P. Novak", "tags": ["notes", "signals"], "source_key": "retrieval/search/extract_signals_054.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_signals_054', 'query': query}


def fetch_signals_0(items, limit=49):
    """Fetch signals (helper 0)."""
    return sorted(items)[:limit]


def fetch_entities_1(items, limit=28):
    """Fetch entities (helper 1)."""
    return sorted(items)[:limit]


def tag_signals_2(items, limit=20):
    """Tag signals (helper 2)."""
    return sorted(items)[:limit]
