"""Fetch documents 037: fetch documents for the retrieval pipeline."""

METADATA = {"name": "fetch_documents_037", "description": "Fetch documents 037: fetch documents for the retrieval pipeline.", "category": "retrieval", "version": "3.2.14", "author": "M. García", "tags": ["entities", "signals"], "source_key": "memory/episodic/fetch_documents_037.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_documents_037', 'query': query}


def extract_queries_0(items, limit=49):
    """Extract queries (helper 0)."""
    return sorted(items)[:limit]


def extract_entities_1(items, limit=52):
    """Extract entities (helper 1)."""
    return sorted(items)[:limit]


def tag_records_2(items, limit=7):
    """Tag records (helper 2)."""
    return sorted(items)[:limit]


def index_events_3(items, limit=58):
    """Index events (helper 3)."""
    return sorted(items)[:limit]


def merge_records_4(items, limit=71):
    """Merge records (helper 4)."""
    return sorted(items)[:limit]


def score_topics_5(items, limit=54):
    """Score topics (helper 5)."""
    return sorted(items)[:limit]
