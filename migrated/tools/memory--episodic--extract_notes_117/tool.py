"""Extract notes 117: summarize entities for the analysis pipeline."""

METADATA = {"name": "extract_notes_117", "description": "Extract notes 117: summarize entities for the analysis pipeline.", "category": "analysis", "version": "3.5.20", "author": "S. Lindqvist", "tags": ["documents", "records"], "source_key": "memory/episodic/extract_notes_117.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_notes_117', 'query': query}


def merge_queries_0(items, limit=70):
    """Merge queries (helper 0)."""
    return sorted(items)[:limit]
