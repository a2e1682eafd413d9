"""Score topics 242: score queries for the ingest pipeline."""

METADATA = {"name": "score_topics_242", "description": "Score topics 242: score queries for the ingest pipeline.", "category": "ingest", "version": "2.9.10", "author": "M. García", "tags": ["links", "queries"], "source_key": "memory/semantic/score_topics_242.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_topics_242', 'query': query}


def rank_entities_0(items, limit=37):
    """Rank entities (helper 0)."""
    return sorted(items)[:limit]


def tag_signals_1(items, limit=33):
    """Tag signals (helper 1)."""
    return sorted(items)[:limit]


def extract_notes_2(items, limit=14):
    """Extract notes (helper 2)."""
    return sorted(items)[:limit]


def classify_records_3(items, limit=73):
    """Classify records (helper 3)."""
    return sorted(items)[:limit]


def tag_notes_4(items, limit=98):
    """Tag notes (helper 4)."""
    return sorted(items)[:limit]
