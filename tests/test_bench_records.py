"""The records the push benchmark sends are valid pushes, as a local exchange would send them."""

from __future__ import annotations

import json

from app.schemas.sync import PushRequest, UpsertItem
from bench.federation import PUSH_BATCH, push_bodies


def test_bench_push_bodies_are_valid_batches_of_distinct_records() -> None:
    bodies = push_bodies(PUSH_BATCH + 3, seed=7, prefix="t")
    assert [len(json.loads(body)["items"]) for body in bodies] == [PUSH_BATCH, 3]
    items = [
        UpsertItem.model_validate(raw)
        for body in bodies
        for raw in PushRequest.model_validate_json(body).items
    ]
    assert len({item.record.source.source_id for item in items}) == PUSH_BATCH + 3
    numbers = [n for item in items for n in item.record.ip_numbers]
    assert numbers and len(set(numbers)) == len(numbers)
    assert {item.record.source.exchange for item in items} == {"HN"}
