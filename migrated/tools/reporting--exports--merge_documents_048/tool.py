"""Merge documents 048: rank notes for the retrieval pipeline."""

METADATA = {"name": "merge_documents_048", "description": "Merge documents 048: rank notes for the retrieval pipeline.", "category": "retrieval", "version": "0.5.8", "author": "A. Moreau", "tags": ["entities", "events"], "source_key": "reporting/exports/merge_documents_048.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_documents_048', 'query': query}


def tag_links_0(items, limit=70):
    """Tag links (helper 0)."""
    return sorted(items)[:limit]


def rank_events_1(items, limit=91):
    """Rank events (helper 1)."""
    return sorted(items)[:limit]


def score_links_2(items, limit=61):
    """Score links (helper 2)."""
    return sorted(items)[:limit]


def merge_links_3(items, limit=61):
    """Merge links (helper 3)."""
    return sorted(items)[:limit]


def rank_records_4(items, limit=74):
    """Rank records (helper 4)."""
    return sorted(items)[:limit]


def resolve_links_5(items, limit=21):
    """Resolve links (helper 5)."""
    return sorted(items)[:limit]
