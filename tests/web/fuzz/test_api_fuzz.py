"""Property-based fuzzing of every API operation from the OpenAPI schema (schemathesis).

Each operation of the schema the application serves gets requests generated from it, valid
ones and invalid ones, sent with an administrator's token to the application in-process (WSGI,
on the test database: every write is rolled back with the test's transaction, files go to the
test run's temporary folder). Operations on one object get both random ids and the id of a real
object of the caller's organisation. Every response must have a documented status, content type
and body, and none may be a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from finres.web.orgs.models import Organisation

# Examples per operation (valid requests, invalid ones and requests on a real object, mixed):
# enough to reach every parameter and field with odd values, few enough for the whole fuzzing
# (about 80 operations) to take two or three minutes.
EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _real_ids(client: Client, paths: list[str]) -> dict[str, int]:
    """The id of one object of the caller's organisation per collection (e.g. ``/api/findings/``),
    and for the workbook routes an assessment's."""
    found: dict[str, int] = {}
    for path in paths:
        collection = path.split("{id}")[0]
        listed = "/api/assessments/" if "assessment-workbooks" in collection else collection
        response = client.get(listed)
        if response.status_code != 200:
            continue
        body = response.json()
        rows = body.get("results") if isinstance(body, dict) else body
        if rows and isinstance(rows[0], dict) and isinstance(rows[0].get("id"), int):
            found[collection] = rows[0]["id"]
    return found


@contextmanager
def keeping_the_connection() -> Iterator[None]:
    """Like Django's test client: the request must not close the database connection when it
    starts or ends (the test's transaction, which rolls every write back, lives on it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(strategy: Any, call: Callable[[Any], None]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        call(case)

    run()


@pytest.mark.django_db
def test_every_api_operation(api_token: str, demo_organisation: Organisation) -> None:
    headers = {"Authorization": f"Token {api_token}"}
    client = Client(headers=headers)
    document = client.get("/api/schema/", {"format": "json"})
    assert document.status_code == 200
    raw = json.loads(document.content)
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()
    schema.config.generation.update(with_security_parameters=False, database="none")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, "the schema lost its operations"
    ids = _real_ids(client, [op.path for op in operations if "{id}" in op.path])

    def call(case: Any) -> None:
        with keeping_the_connection():
            case.call_and_validate(headers=headers, checks=CHECKS)

    failures: list[str] = []
    for operation in operations:
        strategies = [
            operation.as_strategy(generation_mode=mode)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        real = ids.get(operation.path.split("{id}")[0])
        if real is not None:
            strategies.append(
                operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE, path_parameters={"id": real}
                )
            )
        try:
            _fuzz(st.one_of(strategies), call)
        except (Exception, BaseExceptionGroup) as error:  # all operations run; all failures told
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
