"""Score records 128: index notes for the memory pipeline."""

METADATA = {"name": "score_records_128", "description": "Score records 128: index notes for the memory pipeline.", "category": "memory", "version": "3.1.18", "author": "P. Novak", "tags": ["signals", "topics"], "source_key": "reporting/summaries/score_records_128.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_records_128', 'query': query}


def fetch_notes_0(items, limit=1):
    """Fetch notes (helper 0)."""
    return sorted(items)[:limit]


def resolve_topics_1(items, limit=26):
    """Resolve topics (helper 1)."""
    return sorted(items)[:limit]


def merge_topics_2(items, limit=71):
    """Merge topics (helper 2)."""
    return sorted(items)[:limit]


def merge_links_3(items, limit=91):
    """Merge links (helper 3)."""
    return sorted(items)[:limit]
