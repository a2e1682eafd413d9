"""Summarize links 145: score records for the ingest pipeline."""

METADATA = {"name": "summarize_links_145", "description": "Summarize links 145: score records for the ingest pipeline.", "category": "ingest", "version": "0.3.19", "author": "P. Novak", "tags": ["entities", "links"], "source_key": "analysis/topics/summarize_links_145.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_links_145', 'query': query}


def fetch_records_0(items, limit=97):
    """Fetch records (helper 0)."""
    return sorted(items)[:limit]
