"""Summarize notes 146: resolve records for the retrieval pipeline."""

METADATA = {"name": "summarize_notes_146", "description": "Summarize notes 146: resolve records for the retrieval pipeline.", "category": "retrieval", "version": "2.6.12", "author": "P. Novak", "tags": ["documents", "notes"], "source_key": "ingest/crawlers/summarize_notes_146.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_notes_146', 'query': query}


def index_entities_0(items, limit=4):
    """Index entities (helper 0)."""
    return sorted(items)[:limit]


def resolve_queries_1(items, limit=51):
    """Resolve queries (helper 1)."""
    return sorted(items)[:limit]


def rank_events_2(items, limit=37):
    """Rank events (helper 2)."""
    return sorted(items)[:limit]


def summarize_links_3(items, limit=60):
    """Summarize links (helper 3)."""
    return sorted(items)[:limit]


def merge_entities_4(items, limit=8):
    """Merge entities (helper 4)."""
    return sorted(items)[:limit]


def score_records_5(items, limit=74):
    """Score records (helper 5)."""
    return sorted(items)[:limit]
