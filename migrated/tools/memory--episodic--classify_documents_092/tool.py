"""Classify documents 092: merge links for the ingest pipeline."""

METADATA = {"name": "classify_documents_092", "description": "Classify documents 092: merge links for the ingest pipeline.", "category": "ingest", "version": "0.7.19", "author": "A. Moreau", "tags": ["links", "topics"], "source_key": "memory/episodic/classify_documents_092.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_documents_092', 'query': query}


def resolve_links_0(items, limit=22):
    """Resolve links (helper 0)."""
    return sorted(items)[:limit]


def summarize_links_1(items, limit=44):
    """Summarize links (helper 1)."""
    return sorted(items)[:limit]


def merge_events_2(items, limit=93):
    """Merge events (helper 2)."""
    return sorted(items)[:limit]


def score_signals_3(items, limit=49):
    """Score signals (helper 3)."""
    return sorted(items)[:limit]


def score_documents_4(items, limit=37):
    """Score documents (helper 4)."""
    return sorted(items)[:limit]
