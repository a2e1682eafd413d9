"""Summarize records 265: classify links for the analysis pipeline."""

METADATA = {"name": "summarize_records_265", "description": "Summarize records 265: classify links for the analysis pipeline.", "category": "analysis", "version": "1.5.4", "author": "K. Tanaka", "tags": ["entities", "topics"], "source_key": "analysis/sentiment/summarize_records_265.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_records_265', 'query': query}


def score_topics_0(items, limit=31):
    """Score topics (helper 0)."""
    return sorted(items)[:limit]


def extract_notes_1(items, limit=71):
    """Extract notes (helper 1)."""
    return sorted(items)[:limit]


def summarize_events_2(items, limit=63):
    """Summarize events (helper 2)."""
    return sorted(items)[:limit]


def extract_queries_3(items, limit=86):
    """Extract queries (helper 3)."""
    return sorted(items)[:limit]


def resolve_queries_4(items, limit=96):
    """Resolve queries (helper 4)."""
    return sorted(items)[:limit]


def extract_documents_5(items, limit=64):
    """Extract documents (helper 5)."""
    return sorted(items)[:limit]
