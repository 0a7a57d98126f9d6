"""Schemathesis against our own OpenAPI schema: generated requests to every operation, never a 500.

Requests go through Django's test client (in this process, inside the test's transaction), as a signed-in
superuser with a bearer token (so every operation is reached past its role check) and once more anonymously.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, encode_multipart
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.test import APIClient
from schemathesis.core import NotSet

from accounts.factories import UserFactory
from accounts.models import ApiToken, Role
from accounts.tokens import token_issue
from tests.fuzz.conftest import count, examples

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = examples(6)  # x every signed-in and anonymous client: ~2,200 cases, the slowest fuzz test


def api_schema() -> schemathesis.specs.openapi.schemas.OpenApiSchema:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))


def send(client: APIClient, case) -> int:
    path = case.formatted_path
    if case.query:
        path += "?" + urlencode(case.query, doseq=True)
    headers = {f"HTTP_{k.upper().replace('-', '_')}": str(v) for k, v in (case.headers or {}).items()}
    headers.pop("HTTP_AUTHORIZATION", None)  # our own token, not a generated one
    media = case.media_type or "application/json"
    if case.body is None or isinstance(case.body, NotSet):
        body, content_type = b"", "application/json"
    elif media.startswith("multipart/"):
        response = client.generic(case.method, path, encode_multipart(BOUNDARY, form_fields(case.body)),
                                  content_type=f"multipart/form-data; boundary={BOUNDARY}", **headers)  # fmt: skip
        return response.status_code
    else:
        try:
            body = json.dumps(case.body, default=str).encode()
        except (TypeError, ValueError):
            body = str(case.body).encode()
        content_type = "application/json"
    response = client.generic(case.method, path, body, content_type=content_type, **headers)
    return response.status_code


def form_fields(body) -> dict:
    """A generated multipart body as Django's test client can encode it: files as uploads, the rest as text."""
    fields = body if isinstance(body, dict) else {"value": body}
    out = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, bytes):
            out[name or "file"] = SimpleUploadedFile("upload.bin", value)
        elif isinstance(value, (dict, list)):
            out[name or "value"] = json.dumps(value, default=str)
        else:
            out[name or "value"] = str(value)
    return out


def fuzz_operation(operation, clients: list[APIClient], failures: list[str]) -> None:
    """Send generated requests for one operation with every client; note each answer of 500 or more."""
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        for client in clients:
            status = send(client, case)
            count("OpenAPI operations (schemathesis)")
            if status >= 500 and status != 503:  # 503: an outside service (SMS) is down, said in our error shape
                failures.append(f"{label}: {status} for {case.path_parameters} {case.query} {case.body!r}"[:400])
                return

    run()


def test_no_operation_of_the_api_answers_a_server_error(district):
    root = UserFactory(role=Role.STREET_ADMIN, username="fuzz-root", is_superuser=True)
    token = token_issue(user=root, method=ApiToken.Method.PASSWORD).access
    signed_in = APIClient()
    signed_in.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    operations = [result.ok() for result in api_schema().get_all_operations()]
    failures: list[str] = []
    for operation in operations:
        fuzz_operation(operation, [signed_in, APIClient()], failures)
    assert operations and not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:40])
