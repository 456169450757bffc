"""A search query as concepts: what the user typed, each word or phrase with its synonyms.

Two-level matching (the rule both backends and ranking follow). Every way of writing a concept
is a *form*: a word or a phrase, with an exact key (accents kept) and a folded key.

- A form typed without diacritics matches every accented form of it: ``may`` finds ``máy``,
  ``mây`` and ``may`` (the folded index).
- A form with diacritics matches the same word with the same accents, or the word written with
  no accents at all (text that lost its accents on the way): ``máy`` finds ``máy`` and ``may``,
  never ``mây`` (the exact index). A different accented word is left out, not ranked low.
- In ranking, a form matched with its accents counts twice what a form matched without them
  counts (``máy`` in a title beats ``may`` in a title).

Synonyms (``app/vocabularies/search_synonyms.json``) are applied here, at query time: the longest
run of typed words that is a term of a group (by its exact key when typed with diacritics, by its
folded key otherwise) becomes one concept whose forms are the typed phrase and every term of the
group. A concept matches when any of its forms does; every concept must match.

``accents=False`` is plain folded search, the behaviour before two-level matching: each typed
word folded, no synonyms. Benchmarks and the relevance suite compare against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app import vocabularies
from app.services.search.folding import search_key, search_keys, words

SYNONYMS = "search_synonyms"
# The longest synonym phrase looked up, in words.
MAX_PHRASE = 6


@dataclass(frozen=True)
class Form:
    exact: str
    folded: str

    @property
    def accented(self) -> bool:
        return self.exact != self.folded

    @classmethod
    def of(cls, text: str) -> Form:
        return cls(*search_keys(text))


@dataclass(frozen=True)
class Concept:
    forms: tuple[Form, ...]  # the typed form first

    @property
    def typed(self) -> Form:
        return self.forms[0]


def matching_forms(concept: Concept, accents: bool) -> list[Form]:
    """The forms matching needs: an accented form whose folded key is also a form typed without
    accents finds nothing that form does not (ranking still weighs every form)."""
    if not accents:
        return list(concept.forms)
    plain = {form.folded for form in concept.forms if not form.accented}
    return [form for form in concept.forms if not (form.accented and form.folded in plain)]


@dataclass(frozen=True)
class SearchQuery:
    concepts: tuple[Concept, ...]
    accents: bool = True

    @property
    def key(self) -> list[str]:
        """What identifies the query (cursor fingerprints): its typed forms and its mode."""
        typed = [concept.typed.exact for concept in self.concepts]
        return typed if self.accents else [*typed, "folded"]

    def __bool__(self) -> bool:
        return bool(self.concepts)


@cache
def _groups() -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]], list[list[Form]]]:
    """Lookup tables: exact key → groups, folded key → groups; and each group's forms."""
    groups = [
        list({form.exact: form for form in map(Form.of, terms)}.values())
        for terms in vocabularies.load(SYNONYMS)["groups"]
    ]
    by_exact: dict[str, list[int]] = {}
    by_folded: dict[str, list[int]] = {}
    for index, forms in enumerate(groups):
        for form in forms:
            by_exact.setdefault(form.exact, []).append(index)
            by_folded.setdefault(form.folded, []).append(index)
    return (
        {key: tuple(dict.fromkeys(v)) for key, v in by_exact.items()},
        {key: tuple(dict.fromkeys(v)) for key, v in by_folded.items()},
        groups,
    )


def synonyms(typed: Form) -> list[Form]:
    """The forms of every group ``typed`` is a term of (none when it is in no group)."""
    by_exact, by_folded, groups = _groups()
    found = by_exact.get(typed.exact, ()) if typed.accented else by_folded.get(typed.folded, ())
    return [form for index in found for form in groups[index]]


def _concept(typed: list[str]) -> Concept | None:
    exact = " ".join(typed)
    form = Form(exact, search_key(exact))
    others = synonyms(form)
    if not others and len(typed) > 1:
        return None
    forms = {form.exact: form}
    for other in others:
        forms.setdefault(other.exact, other)
    return Concept(tuple(forms.values()))


def parse(q: str, *, accents: bool = True) -> SearchQuery:
    """The concepts of a user query (none for a query without words)."""
    typed = words(q)
    if not accents:
        folded = list(dict.fromkeys(search_key(word) for word in typed))
        return SearchQuery(tuple(Concept((Form(w, w),)) for w in folded), accents=False)
    concepts: list[Concept] = []
    start = 0
    while start < len(typed):
        for length in range(min(MAX_PHRASE, len(typed) - start), 0, -1):
            concept = _concept(typed[start : start + length])
            if concept is not None:
                concepts.append(concept)
                start += length
                break
    return SearchQuery(tuple(concepts))


def _matches_text(form: Form, exact: str, folded: str) -> bool:
    """Whether padded key texts hold ``form`` under the two-level rule."""
    if form.accented:
        return f" {form.exact} " in exact or f" {form.folded} " in exact
    return f" {form.folded} " in folded


@cache
def _labels(vocabulary: str) -> dict[str, tuple[str, str]]:
    """Each code's labels (every language) as padded exact and folded keys."""
    labels: dict[str, tuple[str, str]] = {}
    for term in vocabularies.load(vocabulary)["terms"]:
        exact, folded = search_keys(" ".join(term["label"].values()))
        labels[term["code"]] = (f" {exact} ", f" {folded} ")
    return labels


def strategic_groups(concept: Concept) -> tuple[str, ...]:
    """The strategic groups whose label names the concept by any of its forms; only for a
    concept of the synonyms file (a curated notion): a single word in a label names nothing."""
    if len(concept.forms) < 2:
        return ()
    return tuple(
        code
        for code, (exact, folded) in _labels("strategic_groups").items()
        if any(_matches_text(form, exact, folded) for form in concept.forms)
    )
