"""Extract records 137: index notes for the analysis pipeline."""

METADATA = {"name": "extract_records_137", "description": "Extract records 137: index notes for the analysis pipeline.", "category": "analysis", "version": "1.9.3", "author": "M. García", "tags": ["records", "signals"], "source_key": "memory/episodic/extract_records_137.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_records_137', 'query': query}


def extract_links_0(items, limit=54):
    """Extract links (helper 0)."""
    return sorted(items)[:limit]


def score_links_1(items, limit=66):
    """Score links (helper 1)."""
    return sorted(items)[:limit]


def extract_entities_2(items, limit=29):
    """Extract entities (helper 2)."""
    return sorted(items)[:limit]


def tag_notes_3(items, limit=22):
    """Tag notes (helper 3)."""
    return sorted(items)[:limit]
