"""Extract queries 227: classify topics for the memory pipeline."""

METADATA = {"name": "extract_queries_227", "description": "Extract queries 227: classify topics for the memory pipeline.", "category": "memory", "version": "1.5.4", "author": "K. Tanaka", "tags": ["links", "signals"], "source_key": "memory/episodic/extract_queries_227.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_queries_227', 'query': query}


def extract_events_0(items, limit=66):
    """Extract events (helper 0)."""
    return sorted(items)[:limit]


def score_entities_1(items, limit=92):
    """Score entities (helper 1)."""
    return sorted(items)[:limit]
