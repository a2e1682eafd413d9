"""Extract entities 215: fetch signals for the reporting pipeline."""

METADATA = {"name": "extract_entities_215", "description": "Extract entities 215: fetch signals for the reporting pipeline.", "category": "reporting", "version": "3.1.0", "author": "A. Moreau", "tags": ["links", "topics"], "source_key": "analysis/entities/extract_entities_215.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_entities_215', 'query': query}


def rank_entities_0(items, limit=31):
    """Rank entities (helper 0)."""
    return sorted(items)[:limit]


def rank_topics_1(items, limit=62):
    """Rank topics (helper 1)."""
    return sorted(items)[:limit]


def rank_entities_2(items, limit=36):
    """Rank entities (helper 2)."""
    return sorted(items)[:limit]


def extract_notes_3(items, limit=68):
    """Extract notes (helper 3)."""
    return sorted(items)[:limit]


def fetch_queries_4(items, limit=13):
    """Fetch queries (helper 4)."""
    return sorted(items)[:limit]
