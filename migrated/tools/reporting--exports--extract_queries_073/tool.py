"""Extract queries 073: tag links for the ingest pipeline."""

METADATA = {"name": "extract_queries_073", "description": "Extract queries 073: tag links for the ingest pipeline.", "category": "ingest", "version": "1.1.14", "author": "R. Okafor", "tags": ["links", "queries"], "source_key": "reporting/exports/extract_queries_073.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_queries_073', 'query': query}


def rank_topics_0(items, limit=70):
    """Rank topics (helper 0)."""
    return sorted(items)[:limit]
