"""The OpenAPI schema is generated once per process and language, then served from memory."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from finres.web.schema import CachedSchemaView

pytestmark = pytest.mark.django_db


def test_the_schema_is_generated_once_and_served_the_same(
    ciso_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ciso_client.get("/api/schema/", {"format": "json"})
    assert first.status_code == 200

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the schema was generated again")

    monkeypatch.setattr(CachedSchemaView.generator_class, "get_schema", refuse)
    again = ciso_client.get("/api/schema/", {"format": "json"})
    assert again.status_code == 200 and again.json() == first.json()
    assert "filename=" in again["Content-Disposition"]
    assert again["Content-Type"] == first["Content-Type"]
    # each format is rendered once too, and says what it is
    yaml_response = ciso_client.get("/api/schema/")
    assert yaml_response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml_response.content.startswith(b"openapi:")
    assert Client().get("/api/schema/").status_code in (401, 403)  # still not public
