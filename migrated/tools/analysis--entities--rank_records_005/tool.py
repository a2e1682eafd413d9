"""Rank records 005: resolve entities for the retrieval pipeline."""

METADATA = {"name": "rank_records_005", "description": "Rank records 005: resolve entities for the retrieval pipeline.", "category": "retrieval", "version": "0.5.11", "author": "A. Moreau", "tags": ["links", "records"], "source_key": "analysis/entities/rank_records_005.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_records_005', 'query': query}


def score_records_0(items, limit=21):
    """Score records (helper 0)."""
    return sorted(items)[:limit]


def resolve_documents_1(items, limit=85):
    """Resolve documents (helper 1)."""
    return sorted(items)[:limit]


def classify_entities_2(items, limit=11):
    """Classify entities (helper 2)."""
    return sorted(items)[:limit]


def tag_events_3(items, limit=97):
    """Tag events (helper 3)."""
    return sorted(items)[:limit]
