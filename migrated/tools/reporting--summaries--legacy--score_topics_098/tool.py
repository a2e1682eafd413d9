"""Score topics 098: summarize notes for the analysis pipeline."""

METADATA = {"name": "score_topics_098", "description": "Score topics 098: summarize notes for the analysis pipeline.", "category": "analysis", "version": "2.6.7", "author": "R. Okafor", "tags": ["documents", "links"], "source_key": "reporting/summaries/legacy/score_topics_098.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_topics_098', 'query': query}


def classify_entities_0(items, limit=51):
    """Classify entities (helper 0)."""
    return sorted(items)[:limit]


def summarize_events_1(items, limit=93):
    """Summarize events (helper 1)."""
    return sorted(items)[:limit]


def merge_notes_2(items, limit=10):
    """Merge notes (helper 2)."""
    return sorted(items)[:limit]


def rank_events_3(items, limit=44):
    """Rank events (helper 3)."""
    return sorted(items)[:limit]


def fetch_documents_4(items, limit=95):
    """Fetch documents (helper 4)."""
    return sorted(items)[:limit]
