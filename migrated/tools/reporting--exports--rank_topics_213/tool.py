"""Rank topics 213: tag topics for the reporting pipeline."""

METADATA = {"name": "rank_topics_213", "description": "Rank topics 213: tag topics for the reporting pipeline.", "category": "reporting", "version": "0.9.12", "author": "K. Tanaka", "tags": ["entities", "records"], "source_key": "reporting/exports/rank_topics_213.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_topics_213', 'query': query}


def summarize_topics_0(items, limit=42):
    """Summarize topics (helper 0)."""
    return sorted(items)[:limit]


def tag_notes_1(items, limit=13):
    """Tag notes (helper 1)."""
    return sorted(items)[:limit]


def fetch_links_2(items, limit=74):
    """Fetch links (helper 2)."""
    return sorted(items)[:limit]


def merge_entities_3(items, limit=96):
    """Merge entities (helper 3)."""
    return sorted(items)[:limit]


def summarize_topics_4(items, limit=31):
    """Summarize topics (helper 4)."""
    return sorted(items)[:limit]
