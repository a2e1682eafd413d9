"""Score signals 247: summarize events for the memory pipeline."""

METADATA = {"name": "score_signals_247", "description": "Score signals 247: summarize events for the memory pipeline.", "category": "memory", "version": "3.7.19", "author": "P. Novak", "tags": ["documents", "entities"], "source_key": "memory/semantic/score_signals_247.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_signals_247', 'query': query}


def merge_links_0(items, limit=100):
    """Merge links (helper 0)."""
    return sorted(items)[:limit]
