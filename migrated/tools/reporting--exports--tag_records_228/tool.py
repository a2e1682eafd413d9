"""Tag records 228: rank links for the retrieval pipeline."""

METADATA = {"name": "tag_records_228", "description": "Tag records 228: rank links for the retrieval pipeline.", "category": "retrieval", "version": "0.7.6", "author": "M. García", "tags": ["entities", "topics"], "source_key": "reporting/exports/tag_records_228.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_records_228', 'query': query}


def summarize_notes_0(items, limit=51):
    """Summarize notes (helper 0)."""
    return sorted(items)[:limit]


def classify_entities_1(items, limit=57):
    """Classify entities (helper 1)."""
    return sorted(items)[:limit]


def classify_topics_2(items, limit=11):
    """Classify topics (helper 2)."""
    return sorted(items)[:limit]


def score_notes_3(items, limit=89):
    """Score notes (helper 3)."""
    return sorted(items)[:limit]


def resolve_links_4(items, limit=43):
    """Resolve links (helper 4)."""
    return sorted(items)[:limit]


def tag_documents_5(items, limit=8):
    """Tag documents (helper 5)."""
    return sorted(items)[:limit]
