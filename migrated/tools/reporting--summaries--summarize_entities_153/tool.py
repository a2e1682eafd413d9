"""Summarize entities 153: tag documents for the reporting pipeline."""

METADATA = {"name": "summarize_entities_153", "description": "Summarize entities 153: tag documents for the reporting pipeline.", "category": "reporting", "version": "1.5.14", "author": "M. García", "tags": ["documents", "links"], "source_key": "reporting/summaries/summarize_entities_153.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_entities_153', 'query': query}


def rank_links_0(items, limit=42):
    """Rank links (helper 0)."""
    return sorted(items)[:limit]


def score_signals_1(items, limit=18):
    """Score signals (helper 1)."""
    return sorted(items)[:limit]


def index_records_2(items, limit=44):
    """Index records (helper 2)."""
    return sorted(items)[:limit]


def classify_queries_3(items, limit=30):
    """Classify queries (helper 3)."""
    return sorted(items)[:limit]
