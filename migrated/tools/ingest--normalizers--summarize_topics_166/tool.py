"""Summarize topics 166: tag links for the reporting pipeline."""

METADATA = {"name": "summarize_topics_166", "description": "Summarize topics 166: tag links for the reporting pipeline.", "category": "reporting", "version": "0.4.10", "author": "S. Lindqvist", "tags": ["links", "queries"], "source_key": "ingest/normalizers/summarize_topics_166.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_topics_166', 'query': query}


def classify_queries_0(items, limit=65):
    """Classify queries (helper 0)."""
    return sorted(items)[:limit]


def fetch_topics_1(items, limit=66):
    """Fetch topics (helper 1)."""
    return sorted(items)[:limit]


def tag_links_2(items, limit=63):
    """Tag links (helper 2)."""
    return sorted(items)[:limit]
