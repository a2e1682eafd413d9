"""Summarize entities 018: tag events for the analysis pipeline."""

METADATA = {"name": "summarize_entities_018", "description": "Summarize entities 018: tag events for the analysis pipeline.", "category": "analysis", "version": "2.9.8", "author": "R. Okafor", "tags": ["entities", "notes"], "source_key": "reporting/exports/summarize_entities_018.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'summarize_entities_018', 'query': query}


def extract_entities_0(items, limit=98):
    """Extract entities (helper 0)."""
    return sorted(items)[:limit]


def classify_documents_1(items, limit=98):
    """Classify documents (helper 1)."""
    return sorted(items)[:limit]


def summarize_records_2(items, limit=14):
    """Summarize records (helper 2)."""
    return sorted(items)[:limit]
