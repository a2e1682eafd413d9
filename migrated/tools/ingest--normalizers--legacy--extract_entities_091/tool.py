"""Extract entities 091: extract records for the retrieval pipeline."""

METADATA = {"name": "extract_entities_091", "description": "Extract entities 091: extract records for the retrieval pipeline.", "category": "retrieval", "version": "2.4.20", "author": "K. Tanaka", "tags": ["events", "records"], "source_key": "ingest/normalizers/legacy/extract_entities_091.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_entities_091', 'query': query}


def extract_entities_0(items, limit=55):
    """Extract entities (helper 0)."""
    return sorted(items)[:limit]


def score_signals_1(items, limit=21):
    """Score signals (helper 1)."""
    return sorted(items)[:limit]


def summarize_notes_2(items, limit=24):
    """Summarize notes (helper 2)."""
    return sorted(items)[:limit]
