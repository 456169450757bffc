"""OAI-PMH 2.0 documents: the envelope, record headers and ``oai_dc`` metadata (stdlib XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from app.models import Listing

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

ET.register_namespace("", OAI_NS)
ET.register_namespace("oai_dc", OAI_DC_NS)
ET.register_namespace("dc", DC_NS)
ET.register_namespace("xsi", XSI_NS)

TYPES = {"offer": "technology offer", "request": "technology request"}


def datestamp(value: datetime) -> str:
    """The repository's granularity: seconds, UTC, ``YYYY-MM-DDThh:mm:ssZ``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def oai(tag: str) -> str:
    return f"{{{OAI_NS}}}{tag}"


def child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, oai(tag), attrs)
    element.text = text
    return element


def envelope(*, now: datetime, base_url: str, request_args: dict[str, str]) -> ET.Element:
    """The ``OAI-PMH`` root with its ``responseDate`` and ``request`` echo."""
    root = ET.Element(oai("OAI-PMH"), {f"{{{XSI_NS}}}schemaLocation": f"{OAI_NS} {OAI_SCHEMA}"})
    child(root, "responseDate", datestamp(now))
    child(root, "request", base_url, **request_args)
    return root


def error(root: ET.Element, code: str, message: str) -> None:
    child(root, "error", message, code=code)


def serialise(root: ET.Element) -> bytes:
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def header(
    parent: ET.Element, *, identifier: str, stamp: datetime, sets: list[str], deleted: bool
) -> None:
    element = child(parent, "header", **({"status": "deleted"} if deleted else {}))
    child(element, "identifier", identifier)
    child(element, "datestamp", datestamp(stamp))
    for spec in sets:
        child(element, "setSpec", spec)


def _dc(parent: ET.Element, tag: str, text: str, lang: str | None = None) -> None:
    element = ET.SubElement(parent, f"{{{DC_NS}}}{tag}", {XML_LANG: lang} if lang else {})
    element.text = text


def _texts(parent: ET.Element, tag: str, language_map: dict[str, str] | None) -> None:
    for lang in ("vi", "en"):
        if (language_map or {}).get(lang):
            _dc(parent, tag, (language_map or {})[lang], lang)


def oai_dc(parent: ET.Element, listing: Listing, *, url: str, group_label: str | None) -> None:
    """Dublin Core of a listing: public metadata only, never contact details."""
    metadata = child(parent, "metadata")
    dc = ET.SubElement(
        metadata,
        f"{{{OAI_DC_NS}}}dc",
        {f"{{{XSI_NS}}}schemaLocation": f"{OAI_DC_NS} {OAI_DC_SCHEMA}"},
    )
    _texts(dc, "title", listing.title)
    _texts(dc, "description", listing.summary)
    for keyword in listing.keywords:
        _dc(dc, "subject", keyword)
    _dc(dc, "subject", group_label or listing.strategic_group, "en" if group_label else None)
    for code in listing.ipc:
        _dc(dc, "subject", f"IPC {code}")
    _dc(dc, "type", TYPES[listing.kind])
    _dc(dc, "publisher", listing.organisation.name)
    _dc(dc, "date", datestamp(listing.created_at))
    _dc(dc, "identifier", url)
    texts = [listing.title, listing.summary, listing.description or {}]
    for lang in ("vi", "en"):
        if any(text.get(lang) for text in texts):
            _dc(dc, "language", lang)
