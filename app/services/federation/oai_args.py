"""OAI-PMH 2.0 requests: verb and argument checks, dates, and signed resumption tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core.errors import InvalidCursor
from app.core.pagination import decode_cursor, encode_cursor

PURPOSE = "oai-pmh"
TOKEN_VERSION = 1
LIST_VERBS = ("ListIdentifiers", "ListRecords")
_LIST_OPTIONAL = frozenset({"from", "until", "set", "resumptionToken"})
# verb -> (required arguments, optional arguments); resumptionToken is exclusive.
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    **{
        verb: (
            frozenset({"metadataPrefix"}),
            frozenset({"from", "until", "set", "resumptionToken"}),
        )
        for verb in LIST_VERBS
    },
}


class OaiError(Exception):
    """An OAI-PMH error condition: answered as an ``error`` element with HTTP 200."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Position:
    datestamp: datetime
    id: uuid.UUID


@dataclass(frozen=True)
class ListQuery:
    """A list request: its original arguments, and where the next page starts."""

    verb: str
    prefix: str
    from_: str | None = None
    until: str | None = None
    set_spec: str | None = None
    after: Position | None = None
    cursor: int = 0


def parse(pairs: list[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments; ``badVerb`` or ``badArgument`` when they are not legal."""
    verbs = [value for key, value in pairs if key == "verb"]
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OaiError("badVerb", "The verb is missing, repeated or not an OAI-PMH verb")
    verb, args = verbs[0], [(k, v) for k, v in pairs if k != "verb"]
    names = [key for key, _ in args]
    required, optional = VERBS[verb]
    if len(set(names)) != len(names):
        raise OaiError("badArgument", "An argument is repeated")
    if unknown := set(names) - required - optional:
        raise OaiError("badArgument", f"Illegal argument(s): {', '.join(sorted(unknown))}")
    if "resumptionToken" in names and len(names) > 1:
        raise OaiError("badArgument", "resumptionToken is an exclusive argument")
    if "resumptionToken" not in names and (missing := required - set(names)):
        raise OaiError("badArgument", f"Missing argument(s): {', '.join(sorted(missing))}")
    return verb, dict(args)


def _date(value: str) -> tuple[datetime, bool]:
    """A UTC datestamp at day or second granularity, and whether it was a day."""
    for fmt, day in (("%Y-%m-%d", True), ("%Y-%m-%dT%H:%M:%SZ", False)):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC), day
        except ValueError:
            continue
    raise OaiError("badArgument", f"{value!r} is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")


def date_range(from_: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """``from`` inclusive and the exclusive end after ``until`` (both inclusive in OAI-PMH)."""
    start = _date(from_) if from_ else None
    end = _date(until) if until else None
    if start and end and start[1] != end[1]:
        raise OaiError("badArgument", "from and until must have the same granularity")
    if start and end and start[0] > end[0]:
        raise OaiError("badArgument", "from is later than until")
    stop = end[0] + (timedelta(days=1) if end[1] else timedelta(seconds=1)) if end else None
    return (start[0] if start else None), stop


def list_query(verb: str, args: dict[str, str]) -> ListQuery:
    if "resumptionToken" in args:
        return decode_token(args["resumptionToken"], verb=verb)
    return ListQuery(
        verb, args["metadataPrefix"], args.get("from"), args.get("until"), args.get("set")
    )


def encode_token(query: ListQuery, after: Position, cursor: int) -> str:
    data = {
        "v": TOKEN_VERSION,
        "verb": query.verb,
        "m": query.prefix,
        "f": query.from_,
        "u": query.until,
        "s": query.set_spec,
        "d": after.datestamp.isoformat(),
        "i": str(after.id),
        "c": cursor,
    }
    return encode_cursor(data, purpose=PURPOSE)


def decode_token(token: str, *, verb: str) -> ListQuery:
    """The list request a token continues; ``badResumptionToken`` if it is not one of ours."""
    try:
        data = decode_cursor(token, purpose=PURPOSE)
        if data.get("v") != TOKEN_VERSION or data.get("verb") != verb:
            raise InvalidCursor("wrong token")
        after = Position(datetime.fromisoformat(data["d"]), uuid.UUID(data["i"]))
        return ListQuery(
            verb, str(data["m"]), data["f"], data["u"], data["s"], after, int(data["c"])
        )
    except (InvalidCursor, KeyError, TypeError, ValueError) as exc:
        raise OaiError("badResumptionToken", "The resumption token is invalid or expired") from exc
