"""Merge entities 178: rank entities for the ingest pipeline."""

METADATA = {"name": "merge_entities_178", "description": "Merge entities 178: rank entities for the ingest pipeline.", "category": "ingest", "version": "2.2.0", "author": "R. Okafor", "tags": ["notes", "signals"], "source_key": "reporting/summaries/merge_entities_178.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'merge_entities_178', 'query': query}


def index_records_0(items, limit=11):
    """Index records (helper 0)."""
    return sorted(items)[:limit]


def fetch_links_1(items, limit=29):
    """Fetch links (helper 1)."""
    return sorted(items)[:limit]
