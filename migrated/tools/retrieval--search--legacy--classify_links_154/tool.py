"""Classify links 154: resolve queries for the reporting pipeline."""

METADATA = {"name": "classify_links_154", "description": "Classify links 154: resolve queries for the reporting pipeline.", "category": "reporting", "version": "1.6.5", "author": "P. Novak", "tags": ["links", "signals"], "source_key": "retrieval/search/legacy/classify_links_154.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_links_154', 'query': query}


def summarize_links_0(items, limit=7):
    """Summarize links (helper 0)."""
    return sorted(items)[:limit]


def extract_entities_1(items, limit=10):
    """Extract entities (helper 1)."""
    return sorted(items)[:limit]


def merge_links_2(items, limit=49):
    """Merge links (helper 2)."""
    return sorted(items)[:limit]
