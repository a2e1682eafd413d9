"""Index records 266: score signals for the analysis pipeline."""

METADATA = {"name": "index_records_266", "description": "Index records 266: score signals for the analysis pipeline.", "category": "analysis", "version": "2.2.6", "author": "P. Novak", "tags": ["entities", "queries"], "source_key": "ingest/parsers/legacy/index_records_266.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_records_266', 'query': query}


def merge_signals_0(items, limit=12):
    """Merge signals (helper 0)."""
    return sorted(items)[:limit]


def classify_entities_1(items, limit=96):
    """Classify entities (helper 1)."""
    return sorted(items)[:limit]


def summarize_signals_2(items, limit=49):
    """Summarize signals (helper 2)."""
    return sorted(items)[:limit]


def extract_records_3(items, limit=26):
    """Extract records (helper 3)."""
    return sorted(items)[:limit]
