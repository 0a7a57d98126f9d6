"""The H5 client and the door vendors read the OpenAPI schema: our endpoints are in it, with examples."""

from __future__ import annotations

import pytest

from residents.tests.conftest import api

pytestmark = pytest.mark.django_db


def test_the_schema_documents_the_residents_endpoints(make_user):
    schema = api(make_user(role="street_admin")).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/registrations/",
        "/api/v1/permits/verify/",
        "/api/v1/me/face/consent/",
        "/api/v1/doors/entry/",
        "/api/v1/elevators/entry/",
        "/api/v1/gaps/",
    ):
        assert path in paths, path
    body = paths["/api/v1/registrations/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["新市民本人提交"]["value"] == {"purpose": "work"}
    assert "deviceToken" in schema["components"]["securitySchemes"]
