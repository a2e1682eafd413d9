"""Rank queries 055: summarize entities for the ingest pipeline."""

METADATA = {"name": "rank_queries_055", "description": "Rank queries 055: summarize entities for the ingest pipeline.", "category": "ingest", "version": "1.5.1", "author": "P. Novak", "tags": ["queries", "topics"], "source_key": "analysis/topics/rank_queries_055.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_queries_055', 'query': query}


def tag_notes_0(items, limit=64):
    """Tag notes (helper 0)."""
    return sorted(items)[:limit]
