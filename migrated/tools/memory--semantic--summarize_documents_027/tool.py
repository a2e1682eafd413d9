"""Summarize documents 027: score links for the retrieval pipeline."""

METADATA = {"name": "summarize_documents_027", "description": "Summarize documents 027: score links for the retrieval pipeline.", "category": "retrieval", "version": "2.2.16", "author": "R. Okafor", "tags": ["notes", "queries"], "source_key": "memory/semantic/summarize_documents_027.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_documents_027', 'query': query}


def index_links_0(items, limit=76):
    """Index links (helper 0)."""
    return sorted(items)[:limit]


def extract_events_1(items, limit=94):
    """Extract events (helper 1)."""
    return sorted(items)[:limit]
