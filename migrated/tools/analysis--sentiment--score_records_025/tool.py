"""Score records 025: index queries for the ingest pipeline."""

METADATA = {"name": "score_records_025", "description": "Score records 025: index queries for the ingest pipeline.", "category": "ingest", "version": "1.2.20", "author": "R. Okafor", "tags": ["entities", "notes"], "source_key": "analysis/sentiment/score_records_025.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_records_025', 'query': query}


def rank_links_0(items, limit=11):
    """Rank links (helper 0)."""
    return sorted(items)[:limit]


def fetch_records_1(items, limit=20):
    """Fetch records (helper 1)."""
    return sorted(items)[:limit]


def summarize_signals_2(items, limit=90):
    """Summarize signals (helper 2)."""
    return sorted(items)[:limit]


def resolve_notes_3(items, limit=28):
    """Resolve notes (helper 3)."""
    return sorted(items)[:limit]
