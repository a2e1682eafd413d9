"""Tag entities 104: fetch links for the reporting pipeline."""

METADATA = {"name": "tag_entities_104", "description": "Tag entities 104: fetch links for the reporting pipeline.", "category": "reporting", "version": "2.0.15", "author": "S. Lindqvist", "tags": ["records", "topics"], "source_key": "retrieval/search/tag_entities_104.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_entities_104', 'query': query}


def index_links_0(items, limit=51):
    """Index links (helper 0)."""
    return sorted(items)[:limit]
