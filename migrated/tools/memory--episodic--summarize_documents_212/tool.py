"""Summarize documents 212: rank events for the memory pipeline."""

METADATA = {"name": "summarize_documents_212", "description": "Summarize documents 212: rank events for the memory pipeline.", "category": "memory", "version": "2.3.10", "author": "K. Tanaka", "tags": ["entities", "notes"], "source_key": "memory/episodic/summarize_documents_212.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_documents_212', 'query': query}


def fetch_notes_0(items, limit=68):
    """Fetch notes (helper 0)."""
    return sorted(items)[:limit]


def summarize_documents_1(items, limit=93):
    """Summarize documents (helper 1)."""
    return sorted(items)[:limit]


def rank_documents_2(items, limit=17):
    """Rank documents (helper 2)."""
    return sorted(items)[:limit]


def classify_documents_3(items, limit=89):
    """Classify documents (helper 3)."""
    return sorted(items)[:limit]


def fetch_documents_4(items, limit=49):
    """Fetch documents (helper 4)."""
    return sorted(items)[:limit]


def summarize_links_5(items, limit=94):
    """Summarize links (helper 5)."""
    return sorted(items)[:limit]
