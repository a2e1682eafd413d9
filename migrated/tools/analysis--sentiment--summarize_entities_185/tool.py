"""Summarize entities 185: resolve links for the analysis pipeline."""

METADATA = {"name": "summarize_entities_185", "description": "Summarize entities 185: resolve links for the analysis pipeline.", "category": "analysis", "version": "0.1.13", "author": "M. García", "tags": ["entities", "signals"], "source_key": "analysis/sentiment/summarize_entities_185.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_entities_185', 'query': query}


def score_notes_0(items, limit=40):
    """Score notes (helper 0)."""
    return sorted(items)[:limit]


def score_events_1(items, limit=71):
    """Score events (helper 1)."""
    return sorted(items)[:limit]


def index_queries_2(items, limit=26):
    """Index queries (helper 2)."""
    return sorted(items)[:limit]


def rank_documents_3(items, limit=85):
    """Rank documents (helper 3)."""
    return sorted(items)[:limit]


def summarize_notes_4(items, limit=33):
    """Summarize notes (helper 4)."""
    return sorted(items)[:limit]
