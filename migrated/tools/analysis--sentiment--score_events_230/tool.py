"""Score events 230: index entities for the analysis pipeline."""

METADATA = {"name": "score_events_230", "description": "Score events 230: index entities for the analysis pipeline.", "category": "analysis", "version": "2.7.18", "author": "R. Okafor", "tags": ["queries", "signals"], "source_key": "analysis/sentiment/score_events_230.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_events_230', 'query': query}


def classify_queries_0(items, limit=59):
    """Classify queries (helper 0)."""
    return sorted(items)[:limit]


def merge_links_1(items, limit=35):
    """Merge links (helper 1)."""
    return sorted(items)[:limit]


def rank_documents_2(items, limit=99):
    """Rank documents (helper 2)."""
    return sorted(items)[:limit]
