"""The failure-analysis engine: pure, streaming, fast. No network, no database.

Public interface (other areas depend on it; keep it stable)::

    analyze_stream(chunks, *, previous=None, knowledge_base=None, max_blocks=5) -> Analysis
    analyze_path(path, *, previous=None, ...) -> Analysis          # .gz ok, "-" = stdin
    load_knowledge_base(extra_dirs=()) -> KnowledgeBase             # cached; compiled once
    redact(text) -> str; redact_json(value); redact_mapping(name_to_value)
    fingerprint_text(text) -> str
    text_vector(text) -> dict[str, float]
    cosine(a, b) -> float
"""

from worker.analysis.engine import analyze_path, analyze_stream
from worker.analysis.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from worker.analysis.models import CATEGORIES, Analysis, Category, Cause, ExcerptBlock, Stats
from worker.analysis.redact import redact, redact_json, redact_mapping
from worker.analysis.similarity import cosine, fingerprint_text, normalize_line, text_vector

__all__ = [
    "CATEGORIES",
    "Analysis",
    "Category",
    "Cause",
    "ExcerptBlock",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Stats",
    "analyze_path",
    "analyze_stream",
    "cosine",
    "fingerprint_text",
    "load_knowledge_base",
    "normalize_line",
    "redact",
    "redact_json",
    "redact_mapping",
    "text_vector",
]
