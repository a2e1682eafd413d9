"""Score links 008: rank events for the analysis pipeline."""

METADATA = {"name": "score_links_008", "description": "Score links 008: rank events for the analysis pipeline.", "category": "analysis", "version": "3.2.1", "author": "S. Lindqvist", "tags": ["documents", "signals"], "source_key": "reporting/exports/score_links_008.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_links_008', 'query': query}


def extract_topics_0(items, limit=56):
    """Extract topics (helper 0)."""
    return sorted(items)[:limit]


def classify_notes_1(items, limit=39):
    """Classify notes (helper 1)."""
    return sorted(items)[:limit]


def classify_queries_2(items, limit=55):
    """Classify queries (helper 2)."""
    return sorted(items)[:limit]


def score_links_3(items, limit=72):
    """Score links (helper 3)."""
    return sorted(items)[:limit]


def classify_links_4(items, limit=93):
    """Classify links (helper 4)."""
    return sorted(items)[:limit]
