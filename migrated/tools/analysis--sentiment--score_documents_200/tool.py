"""Score documents 200: resolve notes for the reporting pipeline."""

METADATA = {"name": "score_documents_200", "description": "Score documents 200: resolve notes for the reporting pipeline.", "category": "reporting", "version": "0.0.11", "author": "A. Moreau", "tags": ["documents", "notes"], "source_key": "analysis/sentiment/score_documents_200.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_documents_200', 'query': query}


def index_records_0(items, limit=72):
    """Index records (helper 0)."""
    return sorted(items)[:limit]


def classify_links_1(items, limit=52):
    """Classify links (helper 1)."""
    return sorted(items)[:limit]


def tag_documents_2(items, limit=8):
    """Tag documents (helper 2)."""
    return sorted(items)[:limit]


def tag_links_3(items, limit=87):
    """Tag links (helper 3)."""
    return sorted(items)[:limit]
