"""Summarize topics 031: score queries for the analysis pipeline."""

METADATA = {"name": "summarize_topics_031", "description": "Summarize topics 031: score queries for the analysis pipeline.", "category": "analysis", "version": "3.7.10", "author": "K. Tanaka", "tags": ["documents", "queries"], "source_key": "ingest/parsers/summarize_topics_031.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_topics_031', 'query': query}


def rank_links_0(items, limit=32):
    """Rank links (helper 0)."""
    return sorted(items)[:limit]


def resolve_queries_1(items, limit=75):
    """Resolve queries (helper 1)."""
    return sorted(items)[:limit]


def summarize_topics_2(items, limit=21):
    """Summarize topics (helper 2)."""
    return sorted(items)[:limit]
