"""Score signals 127: score entities for the memory pipeline."""

METADATA = {"name": "score_signals_127", "description": "Score signals 127: score entities for the memory pipeline.", "category": "memory", "version": "3.4.17", "author": "P. Novak", "tags": ["documents", "signals"], "source_key": "memory/episodic/score_signals_127.py"}


def run(query):
    """Run the tool on one query."""
    return {'tool': 'score_signals_127', 'query': query}


def fetch_notes_0(items, limit=1):
    """Fetch notes (helper 0)."""
    return sorted(items)[:limit]


def resolve_topics_1(items, limit=7):
    """Resolve topics (helper 1)."""
    return sorted(items)[:limit]


def score_queries_2(items, limit=94):
    """Score queries (helper 2)."""
    return sorted(items)[:limit]


def index_signals_3(items, limit=38):
    """Index signals (helper 3)."""
    return sorted(items)[:limit]
