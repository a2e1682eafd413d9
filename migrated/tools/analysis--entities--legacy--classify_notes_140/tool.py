"""Classify notes 140: summarize entities for the analysis pipeline."""

METADATA = {"name": "classify_notes_140", "description": "Classify notes 140: summarize entities for the analysis pipeline.", "category": "analysis", "version": "1.7.13", "author": "A. Moreau", "tags": ["records", "topics"], "source_key": "analysis/entities/legacy/classify_notes_140.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_notes_140', 'query': query}


def score_topics_0(items, limit=85):
    """Score topics (helper 0)."""
    return sorted(items)[:limit]


def classify_queries_1(items, limit=16):
    """Classify queries (helper 1)."""
    return sorted(items)[:limit]


def fetch_entities_2(items, limit=12):
    """Fetch entities (helper 2)."""
    return sorted(items)[:limit]


def tag_records_3(items, limit=7):
    """Tag records (helper 3)."""
    return sorted(items)[:limit]
