"""Rank entities 208: classify entities for the memory pipeline."""

METADATA = {"name": "rank_entities_208", "description": "Rank entities 208: classify entities for the memory pipeline.", "category": "memory", "version": "1.0.9", "author": "P. Novak", "tags": ["records", "topics"], "source_key": "reporting/exports/rank_entities_208.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_entities_208', 'query': query}


def extract_queries_0(items, limit=71):
    """Extract queries (helper 0)."""
    return sorted(items)[:limit]


def score_topics_1(items, limit=75):
    """Score topics (helper 1)."""
    return sorted(items)[:limit]


def classify_events_2(items, limit=4):
    """Classify events (helper 2)."""
    return sorted(items)[:limit]


def resolve_records_3(items, limit=59):
    """Resolve records (helper 3)."""
    return sorted(items)[:limit]
