"""Extract records 044: rank signals for the analysis pipeline."""

METADATA = {"name": "extract_records_044", "description": "Extract records 044: rank signals for the analysis pipeline.", "category": "analysis", "version": "3.8.17", "author": "R. Okafor", "tags": ["events", "signals"], "source_key": "retrieval/search/extract_records_044.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_records_044', 'query': query}


def fetch_signals_0(items, limit=29):
    """Fetch signals (helper 0)."""
    return sorted(items)[:limit]
