"""Score entities 056: tag events for the analysis pipeline."""

METADATA = {"name": "score_entities_056", "description": "Score entities 056: tag events for the analysis pipeline.", "category": "analysis", "version": "0.9.6", "author": "S. Lindqvist", "tags": ["queries", "signals"], "source_key": "ingest/parsers/legacy/score_entities_056.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_entities_056', 'query': query}


def extract_topics_0(items, limit=76):
    """Extract topics (helper 0)."""
    return sorted(items)[:limit]


def tag_queries_1(items, limit=68):
    """Tag queries (helper 1)."""
    return sorted(items)[:limit]
