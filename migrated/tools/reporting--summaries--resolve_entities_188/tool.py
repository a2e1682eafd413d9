"""Resolve entities 188: classify documents for the analysis pipeline."""

METADATA = {"name": "resolve_entities_188", "description": "Resolve entities 188: classify documents for the analysis pipeline.", "category": "analysis", "version": "0.0.16", "author": "M. García", "tags": ["links", "records"], "source_key": "reporting/summaries/resolve_entities_188.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_entities_188', 'query': query}


def classify_queries_0(items, limit=40):
    """Classify queries (helper 0)."""
    return sorted(items)[:limit]


def resolve_signals_1(items, limit=7):
    """Resolve signals (helper 1)."""
    return sorted(items)[:limit]


def fetch_documents_2(items, limit=30):
    """Fetch documents (helper 2)."""
    return sorted(items)[:limit]


def summarize_records_3(items, limit=67):
    """Summarize records (helper 3)."""
    return sorted(items)[:limit]


def summarize_notes_4(items, limit=27):
    """Summarize notes (helper 4)."""
    return sorted(items)[:limit]
