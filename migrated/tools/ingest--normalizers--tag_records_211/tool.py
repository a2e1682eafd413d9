"""Tag records 211: classify documents for the reporting pipeline."""

METADATA = {"name": "tag_records_211", "description": "Tag records 211: classify documents for the reporting pipeline.", "category": "reporting", "version": "3.6.9", "author": "R. Okafor", "tags": ["queries", "signals"], "source_key": "ingest/normalizers/tag_records_211.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_records_211', 'query': query}


def index_queries_0(items, limit=27):
    """Index queries (helper 0)."""
    return sorted(items)[:limit]


def summarize_links_1(items, limit=16):
    """Summarize links (helper 1)."""
    return sorted(items)[:limit]


def score_queries_2(items, limit=3):
    """Score queries (helper 2)."""
    return sorted(items)[:limit]


def score_documents_3(items, limit=35):
    """Score documents (helper 3)."""
    return sorted(items)[:limit]
