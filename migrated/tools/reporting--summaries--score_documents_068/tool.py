"""Score documents 068: score signals for the analysis pipeline."""

METADATA = {"name": "score_documents_068", "description": "Score documents 068: score signals for the analysis pipeline.", "category": "analysis", "version": "1.1.1", "author": "P. Novak", "tags": ["queries", "signals"], "source_key": "reporting/summaries/score_documents_068.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_documents_068', 'query': query}


def resolve_entities_0(items, limit=7):
    """Resolve entities (helper 0)."""
    return sorted(items)[:limit]


def index_links_1(items, limit=24):
    """Index links (helper 1)."""
    return sorted(items)[:limit]


def index_links_2(items, limit=33):
    """Index links (helper 2)."""
    return sorted(items)[:limit]
