"""Tag records 129: index links for the memory pipeline."""

METADATA = {"name": "tag_records_129", "description": "Tag records 129: index links for the memory pipeline.", "category": "memory", "version": "2.8.9", "author": "S. Lindqvist", "tags": ["entities", "queries"], "source_key": "retrieval/ranking/tag_records_129.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_records_129', 'query': query}


def score_topics_0(items, limit=18):
    """Score topics (helper 0)."""
    return sorted(items)[:limit]


def classify_entities_1(items, limit=83):
    """Classify entities (helper 1)."""
    return sorted(items)[:limit]


def fetch_records_2(items, limit=86):
    """Fetch records (helper 2)."""
    return sorted(items)[:limit]


def tag_records_3(items, limit=76):
    """Tag records (helper 3)."""
    return sorted(items)[:limit]


def summarize_links_4(items, limit=96):
    """Summarize links (helper 4)."""
    return sorted(items)[:limit]
