"""Extract signals 078: index signals for the analysis pipeline."""

METADATA = {"name": "extract_signals_078", "description": "Extract signals 078: index signals for the analysis pipeline.", "category": "analysis", "version": "2.1.16", "author": "R. Okafor", "tags": ["events", "topics"], "source_key": "reporting/exports/extract_signals_078.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_signals_078', 'query': query}


def classify_notes_0(items, limit=85):
    """Classify notes (helper 0)."""
    return sorted(items)[:limit]


def fetch_links_1(items, limit=58):
    """Fetch links (helper 1)."""
    return sorted(items)[:limit]


def resolve_documents_2(items, limit=61):
    """Resolve documents (helper 2)."""
    return sorted(items)[:limit]


def fetch_topics_3(items, limit=29):
    """Fetch topics (helper 3)."""
    return sorted(items)[:limit]


def tag_notes_4(items, limit=50):
    """Tag notes (helper 4)."""
    return sorted(items)[:limit]
