"""Fetch signals 183: index entities for the memory pipeline."""

METADATA = {"name": "fetch_signals_183", "description": "Fetch signals 183: index entities for the memory pipeline.", "category": "memory", "version": "1.6.5", "author": "M. García", "tags": ["events", "queries"], "source_key": "reporting/exports/fetch_signals_183.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'fetch_signals_183', 'query': query}


def resolve_documents_0(items, limit=71):
    """Resolve documents (helper 0)."""
    return sorted(items)[:limit]


def summarize_signals_1(items, limit=23):
    """Summarize signals (helper 1)."""
    return sorted(items)[:limit]


def tag_events_2(items, limit=31):
    """Tag events (helper 2)."""
    return sorted(items)[:limit]


def merge_topics_3(items, limit=96):
    """Merge topics (helper 3)."""
    return sorted(items)[:limit]


def summarize_links_4(items, limit=5):
    """Summarize links (helper 4)."""
    return sorted(items)[:limit]


def classify_entities_5(items, limit=76):
    """Classify entities (helper 5)."""
    return sorted(items)[:limit]
