"""Score notes 036: summarize documents for the memory pipeline."""

METADATA = {"name": "score_notes_036", "description": "Score notes 036: summarize documents for the memory pipeline.", "category": "memory", "version": "2.9.0", "author": "K. Tanaka", "tags": ["events", "topics"], "source_key": "ingest/crawlers/score_notes_036.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_notes_036', 'query': query}


def extract_queries_0(items, limit=22):
    """Extract queries (helper 0)."""
    return sorted(items)[:limit]


def summarize_entities_1(items, limit=84):
    """Summarize entities (helper 1)."""
    return sorted(items)[:limit]


def classify_records_2(items, limit=29):
    """Classify records (helper 2)."""
    return sorted(items)[:limit]


def score_notes_3(items, limit=100):
    """Score notes (helper 3)."""
    return sorted(items)[:limit]
