"""Tag notes 035: extract documents for the retrieval pipeline."""

METADATA = {"name": "tag_notes_035", "description": "Tag notes 035: extract documents for the retrieval pipeline.", "category": "retrieval", "version": "3.8.14", "author": "P. Novak", "tags": ["links", "records"], "source_key": "analysis/sentiment/legacy/tag_notes_035.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_notes_035', 'query': query}


def classify_documents_0(items, limit=47):
    """Classify documents (helper 0)."""
    return sorted(items)[:limit]


def classify_records_1(items, limit=93):
    """Classify records (helper 1)."""
    return sorted(items)[:limit]


def summarize_documents_2(items, limit=46):
    """Summarize documents (helper 2)."""
    return sorted(items)[:limit]


def index_records_3(items, limit=86):
    """Index records (helper 3)."""
    return sorted(items)[:limit]


def merge_topics_4(items, limit=32):
    """Merge topics (helper 4)."""
    return sorted(items)[:limit]
