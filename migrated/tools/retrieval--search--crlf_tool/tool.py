"""Crlf tool: fetch events for the analysis pipeline."""

METADATA = {"name": "crlf_tool", "description": "Crlf tool: fetch events for the analysis pipeline.", "category": "analysis", "version": "1.7.13", "author": "R. Okafor", "tags": ["events", "topics"], "source_key": "retrieval/search/crlf_tool.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'crlf_tool', 'query': query}


def score_links_0(items, limit=89):
    """Score links (helper 0)."""
    return sorted(items)[:limit]


def score_queries_1(items, limit=32):
    """Score queries (helper 1)."""
    return sorted(items)[:limit]


def tag_queries_2(items, limit=51):
    """Tag queries (helper 2)."""
    return sorted(items)[:limit]
