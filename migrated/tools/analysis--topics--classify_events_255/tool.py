"""Classify events 255: tag events for the memory pipeline."""

METADATA = {"name": "classify_events_255", "description": "Classify events 255: tag events for the memory pipeline.", "category": "memory", "version": "0.2.12", "author": "R. Okafor", "tags": ["links", "records"], "source_key": "analysis/topics/classify_events_255.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_events_255', 'query': query}


def merge_signals_0(items, limit=34):
    """Merge signals (helper 0)."""
    return sorted(items)[:limit]


def extract_notes_1(items, limit=27):
    """Extract notes (helper 1)."""
    return sorted(items)[:limit]
