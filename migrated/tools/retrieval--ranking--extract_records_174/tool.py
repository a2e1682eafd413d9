"""Extract records 174: fetch events for the retrieval pipeline."""

METADATA = {"name": "extract_records_174", "description": "Extract records 174: fetch events for the retrieval pipeline.", "category": "retrieval", "version": "2.2.2", "author": "P. Novak", "tags": ["notes", "queries"], "source_key": "retrieval/ranking/extract_records_174.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'extract_records_174', 'query': query}


def score_events_0(items, limit=79):
    """Score events (helper 0)."""
    return sorted(items)[:limit]


def summarize_topics_1(items, limit=46):
    """Summarize topics (helper 1)."""
    return sorted(items)[:limit]


def rank_links_2(items, limit=53):
    """Rank links (helper 2)."""
    return sorted(items)[:limit]


def classify_entities_3(items, limit=51):
    """Classify entities (helper 3)."""
    return sorted(items)[:limit]


def fetch_events_4(items, limit=77):
    """Fetch events (helper 4)."""
    return sorted(items)[:limit]
