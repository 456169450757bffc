"""Responses serialised once: a model already built by the route goes straight to JSON.

FastAPI validates a returned model against the route's ``response_model`` before serialising
it; for a model the route has just built from trusted data that is a second validation of the
same object. Hot read routes return this instead (the route still declares ``response_model``
for the OpenAPI document).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel, *, headers: Mapping[str, str] | None = None) -> Response:
    return Response(model.model_dump_json(), media_type="application/json", headers=headers)
