"""Score topics 251: merge notes for the analysis pipeline."""

METADATA = {"name": "score_topics_251", "description": "Score topics 251: merge notes for the analysis pipeline.", "category": "analysis", "version": "0.6.16", "author": "S. Lindqvist", "tags": ["documents", "links"], "source_key": "ingest/crawlers/score_topics_251.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_topics_251', 'query': query}


def fetch_links_0(items, limit=23):
    """Fetch links (helper 0)."""
    return sorted(items)[:limit]


def index_signals_1(items, limit=60):
    """Index signals (helper 1)."""
    return sorted(items)[:limit]


def index_notes_2(items, limit=96):
    """Index notes (helper 2)."""
    return sorted(items)[:limit]
