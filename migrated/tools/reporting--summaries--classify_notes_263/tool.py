"""Classify notes 263: extract notes for the analysis pipeline."""

METADATA = {"name": "classify_notes_263", "description": "Classify notes 263: extract notes for the analysis pipeline.", "category": "analysis", "version": "1.8.10", "author": "P. Novak", "tags": ["queries", "records"], "source_key": "reporting/summaries/classify_notes_263.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_notes_263', 'query': query}


def summarize_documents_0(items, limit=96):
    """Summarize documents (helper 0)."""
    return sorted(items)[:limit]


def rank_queries_1(items, limit=76):
    """Rank queries (helper 1)."""
    return sorted(items)[:limit]


def rank_entities_2(items, limit=62):
    """Rank entities (helper 2)."""
    return sorted(items)[:limit]


def summarize_signals_3(items, limit=87):
    """Summarize signals (helper 3)."""
    return sorted(items)[:limit]


def tag_topics_4(items, limit=25):
    """Tag topics (helper 4)."""
    return sorted(items)[:limit]
