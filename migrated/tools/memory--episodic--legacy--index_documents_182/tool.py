"""Index documents 182: fetch events for the ingest pipeline."""

METADATA = {"name": "index_documents_182", "description": "Index documents 182: fetch events for the ingest pipeline.", "category": "ingest", "version": "2.1.5", "author": "P. Novak", "tags": ["notes", "topics"], "source_key": "memory/episodic/legacy/index_documents_182.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'index_documents_182', 'query': query}


def tag_links_0(items, limit=46):
    """Tag links (helper 0)."""
    return sorted(items)[:limit]


def rank_topics_1(items, limit=82):
    """Rank topics (helper 1)."""
    return sorted(items)[:limit]


def score_events_2(items, limit=91):
    """Score events (helper 2)."""
    return sorted(items)[:limit]


def summarize_links_3(items, limit=68):
    """Summarize links (helper 3)."""
    return sorted(items)[:limit]


def classify_entities_4(items, limit=36):
    """Classify entities (helper 4)."""
    return sorted(items)[:limit]
