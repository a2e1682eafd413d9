"""Merge links 100: merge links for the reporting pipeline."""

METADATA = {"name": "merge_links_100", "description": "Merge links 100: merge links for the reporting pipeline.", "category": "reporting", "version": "2.5.7", "author": "R. Okafor", "tags": ["links", "records"], "source_key": "analysis/entities/merge_links_100.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_links_100', 'query': query}


def tag_links_0(items, limit=94):
    """Tag links (helper 0)."""
    return sorted(items)[:limit]


def index_queries_1(items, limit=9):
    """Index queries (helper 1)."""
    return sorted(items)[:limit]


def rank_documents_2(items, limit=51):
    """Rank documents (helper 2)."""
    return sorted(items)[:limit]
