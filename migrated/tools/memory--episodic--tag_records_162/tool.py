"""Tag records 162: score queries for the reporting pipeline."""

METADATA = {"name": "tag_records_162", "description": "Tag records 162: score queries for the reporting pipeline.", "category": "reporting", "version": "2.3.0", "author": "S. Lindqvist", "tags": ["documents", "events"], "source_key": "memory/episodic/tag_records_162.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_records_162', 'query': query}


def classify_events_0(items, limit=31):
    """Classify events (helper 0)."""
    return sorted(items)[:limit]


def extract_entities_1(items, limit=75):
    """Extract entities (helper 1)."""
    return sorted(items)[:limit]


def tag_records_2(items, limit=16):
    """Tag records (helper 2)."""
    return sorted(items)[:limit]


def summarize_topics_3(items, limit=51):
    """Summarize topics (helper 3)."""
    return sorted(items)[:limit]


def summarize_notes_4(items, limit=1):
    """Summarize notes (helper 4)."""
    return sorted(items)[:limit]


def summarize_records_5(items, limit=11):
    """Summarize records (helper 5)."""
    return sorted(items)[:limit]
