"""Extract documents 202: tag notes for the memory pipeline."""

METADATA = {"name": "extract_documents_202", "description": "Extract documents 202: tag notes for the memory pipeline.", "category": "memory", "version": "3.7.9", "author": "M. García", "tags": ["documents", "links"], "source_key": "memory/episodic/extract_documents_202.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_documents_202', 'query': query}


def score_events_0(items, limit=77):
    """Score events (helper 0)."""
    return sorted(items)[:limit]


def summarize_signals_1(items, limit=75):
    """Summarize signals (helper 1)."""
    return sorted(items)[:limit]


def tag_signals_2(items, limit=47):
    """Tag signals (helper 2)."""
    return sorted(items)[:limit]


def summarize_events_3(items, limit=52):
    """Summarize events (helper 3)."""
    return sorted(items)[:limit]


def rank_topics_4(items, limit=86):
    """Rank topics (helper 4)."""
    return sorted(items)[:limit]
