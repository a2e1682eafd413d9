"""Resolve links 015: score notes for the ingest pipeline."""

METADATA = {"name": "resolve_links_015", "description": "Resolve links 015: score notes for the ingest pipeline.", "category": "ingest", "version": "1.9.3", "author": "R. Okafor", "tags": ["links", "signals"], "source_key": "analysis/topics/resolve_links_015.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'resolve_links_015', 'query': query}


def resolve_events_0(items, limit=39):
    """Resolve events (helper 0)."""
    return sorted(items)[:limit]


def resolve_topics_1(items, limit=42):
    """Resolve topics (helper 1)."""
    return sorted(items)[:limit]


def extract_notes_2(items, limit=25):
    """Extract notes (helper 2)."""
    return sorted(items)[:limit]


def merge_topics_3(items, limit=81):
    """Merge topics (helper 3)."""
    return sorted(items)[:limit]


def summarize_topics_4(items, limit=98):
    """Summarize topics (helper 4)."""
    return sorted(items)[:limit]


def rank_queries_5(items, limit=70):
    """Rank queries (helper 5)."""
    return sorted(items)[:limit]
