"""Score documents 102: index signals for the reporting pipeline."""

METADATA = {"name": "score_documents_102", "description": "Score documents 102: index signals for the reporting pipeline.", "category": "reporting", "version": "2.9.11", "author": "S. Lindqvist", "tags": ["links", "signals"], "source_key": "memory/episodic/score_documents_102.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_documents_102', 'query': query}


def tag_links_0(items, limit=93):
    """Tag links (helper 0)."""
    return sorted(items)[:limit]


def index_signals_1(items, limit=40):
    """Index signals (helper 1)."""
    return sorted(items)[:limit]


def merge_topics_2(items, limit=2):
    """Merge topics (helper 2)."""
    return sorted(items)[:limit]


def classify_topics_3(items, limit=91):
    """Classify topics (helper 3)."""
    return sorted(items)[:limit]


def summarize_signals_4(items, limit=26):
    """Summarize signals (helper 4)."""
    return sorted(items)[:limit]


def tag_topics_5(items, limit=45):
    """Tag topics (helper 5)."""
    return sorted(items)[:limit]
