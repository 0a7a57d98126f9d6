"""The served OpenAPI schema documents the JSON error envelope on every operation, and the envelope matches it."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_every_operation_lists_the_error_envelope():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "message", "errors"]
    missing = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete") and not {"400", "default"} <= set(operation["responses"])
    ]
    assert not missing
    me = schema["paths"]["/api/v1/me/real-name/"]["post"]["responses"]
    assert me["400"] == {"$ref": "#/components/responses/Error400"} and "401" in me and "409" in me


def test_real_errors_validate_against_the_documented_envelope(make_user):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validator = Draft202012Validator(schema["components"]["schemas"]["Error"])
    client = APIClient()
    answers = [client.get("/api/v1/me/journey/"), client.get("/api/v1/jobs/abc/")]
    from accounts.models import Role

    client.force_authenticate(make_user(Role.RESIDENT, phone="13800000009"))
    answers.append(
        client.post("/api/v1/me/real-name/", {"name": "张三", "id_number": "1", "hometown": ""}, format="json")
    )
    answers.append(client.get("/api/v1/jobs/", {"page_size": "-5"}))
    for response in answers:
        assert response.status_code >= 400
        assert not list(validator.iter_errors(response.json())), response.json()
