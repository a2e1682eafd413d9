"""Tag signals 204: tag events for the memory pipeline."""

METADATA = {"name": "tag_signals_204", "description": "Tag signals 204: tag events for the memory pipeline.", "category": "memory", "version": "1.6.8", "author": "A. Moreau", "tags": ["links", "queries"], "source_key": "retrieval/ranking/tag_signals_204.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_signals_204', 'query': query}


def summarize_notes_0(items, limit=12):
    """Summarize notes (helper 0)."""
    return sorted(items)[:limit]


def score_signals_1(items, limit=48):
    """Score signals (helper 1)."""
    return sorted(items)[:limit]


def score_links_2(items, limit=64):
    """Score links (helper 2)."""
    return sorted(items)[:limit]


def extract_documents_3(items, limit=32):
    """Extract documents (helper 3)."""
    return sorted(items)[:limit]
