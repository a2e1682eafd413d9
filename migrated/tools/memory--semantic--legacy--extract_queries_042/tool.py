"""Extract queries 042: extract topics for the reporting pipeline."""

METADATA = {"name": "extract_queries_042", "description": "Extract queries 042: extract topics for the reporting pipeline.", "category": "reporting", "version": "3.8.12", "author": "K. Tanaka", "tags": ["queries", "records"], "source_key": "memory/semantic/legacy/extract_queries_042.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_queries_042', 'query': query}


def score_topics_0(items, limit=88):
    """Score topics (helper 0)."""
    return sorted(items)[:limit]
