"""Rank topics 045: fetch events for the retrieval pipeline."""

METADATA = {"name": "rank_topics_045", "description": "Rank topics 045: fetch events for the retrieval pipeline.", "category": "retrieval", "version": "0.4.11", "author": "P. Novak", "tags": ["links", "signals"], "source_key": "analysis/topics/rank_topics_045.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'rank_topics_045', 'query': query}


def rank_documents_0(items, limit=33):
    """Rank documents (helper 0)."""
    return sorted(items)[:limit]


def rank_queries_1(items, limit=3):
    """Rank queries (helper 1)."""
    return sorted(items)[:limit]


def extract_queries_2(items, limit=39):
    """Extract queries (helper 2)."""
    return sorted(items)[:limit]


def classify_queries_3(items, limit=47):
    """Classify queries (helper 3)."""
    return sorted(items)[:limit]


def extract_notes_4(items, limit=37):
    """Extract notes (helper 4)."""
    return sorted(items)[:limit]
