"""Summarize topics 094: classify documents for the analysis pipeline."""

METADATA = {"name": "summarize_topics_094", "description": "Summarize topics 094: classify documents for the analysis pipeline.", "category": "analysis", "version": "1.1.15", "author": "M. García", "tags": ["documents", "records"], "source_key": "retrieval/ranking/summarize_topics_094.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_topics_094', 'query': query}


def merge_documents_0(items, limit=49):
    """Merge documents (helper 0)."""
    return sorted(items)[:limit]
