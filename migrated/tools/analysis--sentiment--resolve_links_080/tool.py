"""Resolve links 080: summarize links for the analysis pipeline."""

METADATA = {"name": "resolve_links_080", "description": "Resolve links 080: summarize links for the analysis pipeline.", "category": "analysis", "version": "3.0.14", "author": "K. Tanaka", "tags": ["notes", "records"], "source_key": "analysis/sentiment/resolve_links_080.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_links_080', 'query': query}


def fetch_notes_0(items, limit=32):
    """Fetch notes (helper 0)."""
    return sorted(items)[:limit]


def tag_topics_1(items, limit=92):
    """Tag topics (helper 1)."""
    return sorted(items)[:limit]


def resolve_queries_2(items, limit=47):
    """Resolve queries (helper 2)."""
    return sorted(items)[:limit]


def resolve_signals_3(items, limit=87):
    """Resolve signals (helper 3)."""
    return sorted(items)[:limit]
