"""Index topics 218: classify records for the reporting pipeline."""

METADATA = {"name": "index_topics_218", "description": "Index topics 218: classify records for the reporting pipeline.", "category": "reporting", "version": "1.8.9", "author": "S. Lindqvist", "tags": ["entities", "events"], "source_key": "reporting/summaries/index_topics_218.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_topics_218', 'query': query}


def fetch_queries_0(items, limit=83):
    """Fetch queries (helper 0)."""
    return sorted(items)[:limit]


def summarize_documents_1(items, limit=72):
    """Summarize documents (helper 1)."""
    return sorted(items)[:limit]


def score_topics_2(items, limit=37):
    """Score topics (helper 2)."""
    return sorted(items)[:limit]
