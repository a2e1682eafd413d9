"""Merge links 021: fetch notes for the retrieval pipeline."""

METADATA = {"name": "merge_links_021", "description": "Merge links 021: fetch notes for the retrieval pipeline.", "category": "retrieval", "version": "0.8.19", "author": "M. García", "tags": ["entities", "events"], "source_key": "ingest/crawlers/legacy/merge_links_021.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_links_021', 'query': query}


def merge_topics_0(items, limit=41):
    """Merge topics (helper 0)."""
    return sorted(items)[:limit]


def index_topics_1(items, limit=40):
    """Index topics (helper 1)."""
    return sorted(items)[:limit]


def index_topics_2(items, limit=70):
    """Index topics (helper 2)."""
    return sorted(items)[:limit]


def rank_records_3(items, limit=100):
    """Rank records (helper 3)."""
    return sorted(items)[:limit]


def classify_events_4(items, limit=15):
    """Classify events (helper 4)."""
    return sorted(items)[:limit]


def resolve_events_5(items, limit=2):
    """Resolve events (helper 5)."""
    return sorted(items)[:limit]
