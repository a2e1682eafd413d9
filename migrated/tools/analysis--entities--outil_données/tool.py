"""Outil données: summarize queries for the ingest pipeline."""

METADATA = {"name": "outil_données", "description": "Outil données: summarize queries for the ingest pipeline.", "category": "ingest", "version": "3.5.13", "author": "A. Moreau", "tags": ["entities", "queries"], "source_key": "analysis/entities/outil_données.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'outil_données', 'query': query}


def tag_queries_0(items, limit=2):
    """Tag queries (helper 0)."""
    return sorted(items)[:limit]


def classify_records_1(items, limit=61):
    """Classify records (helper 1)."""
    return sorted(items)[:limit]


def classify_entities_2(items, limit=52):
    """Classify entities (helper 2)."""
    return sorted(items)[:limit]
