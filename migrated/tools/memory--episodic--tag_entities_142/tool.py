"""Tag entities 142: score queries for the memory pipeline."""

METADATA = {"name": "tag_entities_142", "description": "Tag entities 142: score queries for the memory pipeline.", "category": "memory", "version": "1.5.7", "author": "S. Lindqvist", "tags": ["links", "topics"], "source_key": "memory/episodic/tag_entities_142.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_entities_142', 'query': query}


def tag_links_0(items, limit=36):
    """Tag links (helper 0)."""
    return sorted(items)[:limit]


def rank_queries_1(items, limit=75):
    """Rank queries (helper 1)."""
    return sorted(items)[:limit]
