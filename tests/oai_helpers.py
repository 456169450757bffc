"""Helpers for the OAI-PMH tests: Sickle over the in-process app, responses parsed as XML."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from sickle import Sickle

OAI_URL = "http://techx.test/oai"
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
}


class AsgiAdapter(BaseAdapter):
    """A requests transport that answers through the test's httpx client on the test's loop,
    so a synchronous harvester running in a worker thread reaches the app in process."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.client, self.loop, self.calls = client, loop, 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.calls += 1
        call = self.client.request(
            str(request.method),
            str(request.url),
            content=request.body,  # type: ignore[arg-type]
            headers=dict(request.headers),
        )
        answer = asyncio.run_coroutine_threadsafe(call, self.loop).result()
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.content
        response.url, response.request = str(request.url), request
        return response

    def close(self) -> None:
        return None


class InProcessSickle(Sickle):  # type: ignore[misc]
    """Sickle unchanged except that its requests go through a session with our adapter."""

    def __init__(self, adapter: AsgiAdapter, **kwargs: Any) -> None:
        super().__init__(OAI_URL, **kwargs)
        self.http = requests.Session()
        self.http.mount("http://techx.test/", adapter)

    def _request(self, kwargs: dict[str, str]) -> requests.Response:
        if self.http_method == "GET":
            return self.http.get(self.endpoint, params=kwargs, **self.request_args)
        return self.http.post(self.endpoint, data=kwargs, **self.request_args)


async def oai_get(client: httpx.AsyncClient, **params: str) -> ET.Element:
    """The parsed answer of a GET /oai, checked to be an OAI-PMH document sent with 200."""
    response = await client.get("/oai", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 - the app under test wrote it
    assert root.tag == "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"
    return root


def error_code(root: ET.Element) -> str | None:
    error = root.find("oai:error", NS)
    return None if error is None else error.get("code")


def identifier(listing_id: str) -> str:
    return f"oai:techx.test:listing:{listing_id}"
