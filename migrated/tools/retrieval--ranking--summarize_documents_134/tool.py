"""Summarize documents 134: summarize documents for the memory pipeline."""

METADATA = {"name": "summarize_documents_134", "description": "Summarize documents 134: summarize documents for the memory pipeline.", "category": "memory", "version": "3.1.20", "author": "K. Tanaka", "tags": ["documents", "events"], "source_key": "retrieval/ranking/summarize_documents_134.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_documents_134', 'query': query}


def rank_entities_0(items, limit=55):
    """Rank entities (helper 0)."""
    return sorted(items)[:limit]


def tag_queries_1(items, limit=37):
    """Tag queries (helper 1)."""
    return sorted(items)[:limit]


def rank_events_2(items, limit=56):
    """Rank events (helper 2)."""
    return sorted(items)[:limit]


def rank_links_3(items, limit=56):
    """Rank links (helper 3)."""
    return sorted(items)[:limit]


def summarize_signals_4(items, limit=12):
    """Summarize signals (helper 4)."""
    return sorted(items)[:limit]


def summarize_notes_5(items, limit=3):
    """Summarize notes (helper 5)."""
    return sorted(items)[:limit]
