"""Summarize entities 099: tag documents for the analysis pipeline."""

METADATA = {"name": "summarize_entities_099", "description": "Summarize entities 099: tag documents for the analysis pipeline.", "category": "analysis", "version": "2.9.9", "author": "R. Okafor", "tags": ["events", "links"], "source_key": "retrieval/ranking/summarize_entities_099.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_entities_099', 'query': query}


def merge_queries_0(items, limit=23):
    """Merge queries (helper 0)."""
    return sorted(items)[:limit]


def classify_documents_1(items, limit=29):
    """Classify documents (helper 1)."""
    return sorted(items)[:limit]


def merge_queries_2(items, limit=11):
    """Merge queries (helper 2)."""
    return sorted(items)[:limit]


def tag_links_3(items, limit=64):
    """Tag links (helper 3)."""
    return sorted(items)[:limit]
