"""Merge links 172: fetch signals for the ingest pipeline."""

METADATA = {"name": "merge_links_172", "description": "Merge links 172: fetch signals for the ingest pipeline.", "category": "ingest", "version": "1.9.11", "author": "P. Novak", "tags": ["documents", "links"], "source_key": "memory/semantic/merge_links_172.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_links_172', 'query': query}


def summarize_entities_0(items, limit=96):
    """Summarize entities (helper 0)."""
    return sorted(items)[:limit]


def rank_events_1(items, limit=99):
    """Rank events (helper 1)."""
    return sorted(items)[:limit]


def merge_records_2(items, limit=4):
    """Merge records (helper 2)."""
    return sorted(items)[:limit]


def classify_notes_3(items, limit=42):
    """Classify notes (helper 3)."""
    return sorted(items)[:limit]


def rank_documents_4(items, limit=97):
    """Rank documents (helper 4)."""
    return sorted(items)[:limit]
