"""Fetch notes 198: merge documents for the retrieval pipeline."""

METADATA = {"name": "fetch_notes_198", "description": "Fetch notes 198: merge documents for the retrieval pipeline.", "category": "retrieval", "version": "0.9.14", "author": "M. García", "tags": ["entities", "signals"], "source_key": "reporting/exports/fetch_notes_198.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_notes_198', 'query': query}


def score_records_0(items, limit=31):
    """Score records (helper 0)."""
    return sorted(items)[:limit]


def tag_queries_1(items, limit=17):
    """Tag queries (helper 1)."""
    return sorted(items)[:limit]


def tag_documents_2(items, limit=73):
    """Tag documents (helper 2)."""
    return sorted(items)[:limit]


def classify_events_3(items, limit=65):
    """Classify events (helper 3)."""
    return sorted(items)[:limit]


def fetch_queries_4(items, limit=77):
    """Fetch queries (helper 4)."""
    return sorted(items)[:limit]
