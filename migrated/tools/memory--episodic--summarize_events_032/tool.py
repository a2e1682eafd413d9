"""Summarize events 032: tag records for the retrieval pipeline."""

METADATA = {"name": "summarize_events_032", "description": "Summarize events 032: tag records for the retrieval pipeline.", "category": "retrieval", "version": "2.4.17", "author": "K. Tanaka", "tags": ["events", "queries"], "source_key": "memory/episodic/summarize_events_032.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_events_032', 'query': query}


def tag_queries_0(items, limit=14):
    """Tag queries (helper 0)."""
    return sorted(items)[:limit]


def summarize_links_1(items, limit=77):
    """Summarize links (helper 1)."""
    return sorted(items)[:limit]


def merge_documents_2(items, limit=13):
    """Merge documents (helper 2)."""
    return sorted(items)[:limit]


def score_signals_3(items, limit=71):
    """Score signals (helper 3)."""
    return sorted(items)[:limit]
