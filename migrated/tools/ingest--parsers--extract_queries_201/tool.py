"""Extract queries 201: score notes for the ingest pipeline."""

METADATA = {"name": "extract_queries_201", "description": "Extract queries 201: score notes for the ingest pipeline.", "category": "ingest", "version": "2.7.7", "author": "P. Novak", "tags": ["links", "notes"], "source_key": "ingest/parsers/extract_queries_201.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_queries_201', 'query': query}


def score_queries_0(items, limit=16):
    """Score queries (helper 0)."""
    return sorted(items)[:limit]


def index_events_1(items, limit=29):
    """Index events (helper 1)."""
    return sorted(items)[:limit]


def summarize_entities_2(items, limit=63):
    """Summarize entities (helper 2)."""
    return sorted(items)[:limit]
