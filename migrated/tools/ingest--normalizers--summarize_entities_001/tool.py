"""Summarize entities 001: index entities for the analysis pipeline."""

METADATA = {"name": "summarize_entities_001", "description": "Summarize entities 001: index entities for the analysis pipeline.", "category": "analysis", "version": "3.8.9", "author": "A. Moreau", "tags": ["entities", "notes"], "source_key": "ingest/normalizers/summarize_entities_001.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_entities_001', 'query': query}


def classify_signals_0(items, limit=65):
    """Classify signals (helper 0)."""
    return sorted(items)[:limit]


def summarize_topics_1(items, limit=97):
    """Summarize topics (helper 1)."""
    return sorted(items)[:limit]
