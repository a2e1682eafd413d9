"""Инструмент: index signals for the reporting pipeline."""

METADATA = {"name": "инструмент", "description": "Инструмент: index signals for the reporting pipeline.", "category": "reporting", "version": "2.8.17", "author": "R. Okafor", "tags": ["entities", "topics"], "source_key": "memory/semantic/инструмент.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'инструмент', 'query': query}


def merge_records_0(items, limit=35):
    """Merge records (helper 0)."""
    return sorted(items)[:limit]


def tag_notes_1(items, limit=79):
    """Tag notes (helper 1)."""
    return sorted(items)[:limit]


def fetch_records_2(items, limit=54):
    """Fetch records (helper 2)."""
    return sorted(items)[:limit]
