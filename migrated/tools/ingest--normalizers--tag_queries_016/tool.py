"""Tag queries 016: summarize events for the ingest pipeline."""

METADATA = {"name": "tag_queries_016", "description": "Tag queries 016: summarize events for the ingest pipeline.", "category": "ingest", "version": "0.3.15", "author": "R. Okafor", "tags": ["entities", "links"], "source_key": "ingest/normalizers/tag_queries_016.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'tag_queries_016', 'query': query}


def index_records_0(items, limit=87):
    """Index records (helper 0)."""
    return sorted(items)[:limit]


def fetch_events_1(items, limit=85):
    """Fetch events (helper 1)."""
    return sorted(items)[:limit]


def classify_documents_2(items, limit=72):
    """Classify documents (helper 2)."""
    return sorted(items)[:limit]


def fetch_entities_3(items, limit=71):
    """Fetch entities (helper 3)."""
    return sorted(items)[:limit]


def rank_notes_4(items, limit=27):
    """Rank notes (helper 4)."""
    return sorted(items)[:limit]


def index_documents_5(items, limit=82):
    """Index documents (helper 5)."""
    return sorted(items)[:limit]
