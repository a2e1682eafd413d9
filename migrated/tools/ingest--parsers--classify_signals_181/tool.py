"""Classify signals 181: index entities for the retrieval pipeline."""

METADATA = {"name": "classify_signals_181", "description": "Classify signals 181: index entities for the retrieval pipeline.", "category": "retrieval", "version": "3.6.18", "author": "A. Moreau", "tags": ["entities", "links"], "source_key": "ingest/parsers/classify_signals_181.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'classify_signals_181', 'query': query}


def tag_topics_0(items, limit=13):
    """Tag topics (helper 0)."""
    return sorted(items)[:limit]


def index_records_1(items, limit=47):
    """Index records (helper 1)."""
    return sorted(items)[:limit]


def summarize_entities_2(items, limit=69):
    """Summarize entities (helper 2)."""
    return sorted(items)[:limit]


def index_links_3(items, limit=52):
    """Index links (helper 3)."""
    return sorted(items)[:limit]
