"""Extract topics 132: rank queries for the ingest pipeline."""

METADATA = {"name": "extract_topics_132", "description": "Extract topics 132: rank queries for the ingest pipeline.", "category": "ingest", "version": "1.9.8", "author": "P. Novak", "tags": ["documents", "queries"], "source_key": "memory/episodic/extract_topics_132.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_topics_132', 'query': query}


def tag_events_0(items, limit=60):
    """Tag events (helper 0)."""
    return sorted(items)[:limit]


def resolve_signals_1(items, limit=95):
    """Resolve signals (helper 1)."""
    return sorted(items)[:limit]


def score_entities_2(items, limit=49):
    """Score entities (helper 2)."""
    return sorted(items)[:limit]
