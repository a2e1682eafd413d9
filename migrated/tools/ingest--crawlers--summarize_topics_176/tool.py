"""Summarize topics 176: score records for the memory pipeline."""

METADATA = {"name": "summarize_topics_176", "description": "Summarize topics 176: score records for the memory pipeline.", "category": "memory", "version": "1.8.18", "author": "A. Moreau", "tags": ["records", "topics"], "source_key": "ingest/crawlers/summarize_topics_176.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_topics_176', 'query': query}


def tag_topics_0(items, limit=51):
    """Tag topics (helper 0)."""
    return sorted(items)[:limit]


def fetch_documents_1(items, limit=3):
    """Fetch documents (helper 1)."""
    return sorted(items)[:limit]


def score_records_2(items, limit=77):
    """Score records (helper 2)."""
    return sorted(items)[:limit]


def fetch_entities_3(items, limit=6):
    """Fetch entities (helper 3)."""
    return sorted(items)[:limit]


def merge_entities_4(items, limit=99):
    """Merge entities (helper 4)."""
    return sorted(items)[:limit]
