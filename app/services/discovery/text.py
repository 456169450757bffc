"""Bilingual text similarity on folded words: TF-IDF cosine over words and word pairs.

Texts are folded first (``search/folding.search_key``: no case, no diacritics, ``đ`` → ``d``),
so "xử lý nước" and "xu ly nuoc" are the same words. Vietnamese words are syllables, so pairs of
neighbouring words ("xu ly", "nuoc thai") carry much of the meaning; both count. Common function
words of either language count nothing. Document frequencies come from the texts compared, so a
word every candidate shares weighs little.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence

from app.services.search.folding import search_key

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "without",
        "its",
        "this",
        "that",
        "va",
        "cua",
        "cho",
        "cac",
        "nhung",
        "mot",
        "duoc",
        "trong",
        "voi",
        "la",
        "co",
        "khong",
        "theo",
        "tai",
        "tu",
        "den",
        "ve",
        "nay",
        "do",
        "khi",
        "de",
        "bang",
        "hoac",
        "nhu",
        "can",
        "tren",
        "duoi",
        "sau",
        "truoc",
        "ra",
        "vao",
        "thanh",
        "lam",
        "giai",
        "phap",
        "cong",
        "nghe",
        "he",
        "thong",
    ]
)


def features(text: str) -> Counter[str]:
    """Folded words (function words out) and pairs of neighbouring words."""
    words = search_key(text).split()
    kept = [w for w in words if w not in STOPWORDS and len(w) > 1]
    grams: Counter[str] = Counter(kept)
    pairs = itertools.pairwise(words)
    grams.update(f"{a} {b}" for a, b in pairs if not (a in STOPWORDS and b in STOPWORDS))
    return grams


def idf(documents: Iterable[Counter[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency of every feature of ``documents``."""
    docs = list(documents)
    counts: Counter[str] = Counter()
    for doc in docs:
        counts.update(doc.keys())
    total = len(docs)
    return {term: math.log((1 + total) / (1 + n)) + 1 for term, n in counts.items()}


def _weighted(doc: Counter[str], weights: dict[str, float]) -> dict[str, float]:
    return {t: (1 + math.log(n)) * weights.get(t, 1.0) for t, n in doc.items()}


def cosine(a: Counter[str], b: Counter[str], weights: dict[str, float]) -> float:
    """TF-IDF cosine similarity of two feature bags, in [0, 1]."""
    va, vb = _weighted(a, weights), _weighted(b, weights)
    dot = sum(w * vb[t] for t, w in va.items() if t in vb)
    if dot == 0:
        return 0.0
    norm = math.sqrt(sum(w * w for w in va.values())) * math.sqrt(sum(w * w for w in vb.values()))
    return dot / norm


def shared(a: Counter[str], b: Counter[str], weights: dict[str, float], top: int = 5) -> list[str]:
    """The shared features that weigh most, to show as a reason."""
    common = [t for t in a if t in b]
    common.sort(key=lambda t: (-weights.get(t, 1.0) * (1 + t.count(" ")), t))
    return common[:top]


def document(parts: Sequence[str | None], title: Sequence[str] = ()) -> Counter[str]:
    """The features of a record: its title counts twice."""
    bag = features(" ".join(p for p in parts if p))
    for text in title:
        bag.update(features(text))
    return bag
