"""Resolve topics 057: merge queries for the analysis pipeline."""

METADATA = {"name": "resolve_topics_057", "description": "Resolve topics 057: merge queries for the analysis pipeline.", "category": "analysis", "version": "0.8.14", "author": "R. Okafor", "tags": ["documents", "notes"], "source_key": "memory/episodic/resolve_topics_057.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_topics_057', 'query': query}


def summarize_queries_0(items, limit=68):
    """Summarize queries (helper 0)."""
    return sorted(items)[:limit]


def score_records_1(items, limit=12):
    """Score records (helper 1)."""
    return sorted(items)[:limit]


def resolve_entities_2(items, limit=36):
    """Resolve entities (helper 2)."""
    return sorted(items)[:limit]


def classify_records_3(items, limit=68):
    """Classify records (helper 3)."""
    return sorted(items)[:limit]
