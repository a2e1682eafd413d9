"""Classify topics 051: score entities for the reporting pipeline."""

METADATA = {"name": "classify_topics_051", "description": "Classify topics 051: score entities for the reporting pipeline.", "category": "reporting", "version": "3.2.16", "author": "A. Moreau", "tags": ["links", "records"], "source_key": "ingest/normalizers/classify_topics_051.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_topics_051', 'query': query}


def merge_events_0(items, limit=1):
    """Merge events (helper 0)."""
    return sorted(items)[:limit]


def fetch_links_1(items, limit=90):
    """Fetch links (helper 1)."""
    return sorted(items)[:limit]


def classify_queries_2(items, limit=32):
    """Classify queries (helper 2)."""
    return sorted(items)[:limit]


def extract_documents_3(items, limit=11):
    """Extract documents (helper 3)."""
    return sorted(items)[:limit]


def classify_signals_4(items, limit=9):
    """Classify signals (helper 4)."""
    return sorted(items)[:limit]


def score_notes_5(items, limit=50):
    """Score notes (helper 5)."""
    return sorted(items)[:limit]
