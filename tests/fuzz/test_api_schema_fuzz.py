"""Schemathesis against our own OpenAPI schema: generated requests to every operation, never a 500.

Requests go through Django's test client (in this process, inside the test's transaction), as a signed-in
superuser with a bearer token (so every operation is reached past its role check) and once more anonymously; then
as the mini-program's own users (a resident with a tenancy, a property manager, an enterprise), whose every answer
must also match the schema the client was built from (schemathesis' response_schema_conformance).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, encode_multipart
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.test import APIClient
from schemathesis.core import NotSet

from accounts.factories import UserFactory
from accounts.models import ApiToken, Role
from accounts.tokens import token_issue
from apartments.factories import EnterpriseFactory
from tests.fuzz.conftest import count, examples

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = examples(4)  # x the superuser and anonymous clients
EXAMPLES_PER_ROLE = examples(3)  # x a resident, a property manager and an enterprise: with the above ~3,000 cases


def operations_logout_last(schema) -> list:
    """Every operation, with those that end the client's sign-in last: after them every request would be a 401."""
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda operation: operation.path.endswith("/auth/logout/"))


def api_schema() -> schemathesis.specs.openapi.schemas.OpenApiSchema:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))


def send(client: APIClient, case) -> int:
    return answer(client, case).status_code


def answer(client: APIClient, case):
    path = case.formatted_path
    if case.query:
        path += "?" + urlencode(case.query, doseq=True)
    headers = {f"HTTP_{k.upper().replace('-', '_')}": str(v) for k, v in (case.headers or {}).items()}
    headers.pop("HTTP_AUTHORIZATION", None)  # our own token, not a generated one
    media = case.media_type or "application/json"
    if case.body is None or isinstance(case.body, NotSet):
        body, content_type = b"", "application/json"
    elif media.startswith("multipart/"):
        return client.generic(case.method, path, encode_multipart(BOUNDARY, form_fields(case.body)),
                              content_type=f"multipart/form-data; boundary={BOUNDARY}", **headers)  # fmt: skip
    else:
        try:
            body = json.dumps(case.body, default=str).encode()
        except (TypeError, ValueError):
            body = str(case.body).encode()
        content_type = "application/json"
    return client.generic(case.method, path, body, content_type=content_type, **headers)


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


def fuzz_operation(
    operation, clients: list[APIClient], failures: list[str], *, statuses: dict[int, int] | None = None
) -> None:
    """Send generated requests for one operation with every client; note each answer of 500 or more. With
    ``statuses`` (the roles' run): throttles are cleared per case, every status is tallied, and each answer must
    also match the operation's documented responses."""
    label = f"{operation.method.upper()} {operation.path}"
    validate = statuses is not None

    @settings(
        max_examples=EXAMPLES_PER_ROLE if validate else EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        if validate:
            cache.clear()  # throttles (per user and IP, in the in-process cache) would answer 429, not the views
        for client in clients:
            response = answer(client, case)
            status = response.status_code
            count("OpenAPI operations as resident, manager, enterprise (schemathesis)" if validate
                  else "OpenAPI operations (schemathesis)")  # fmt: skip
            if validate:
                statuses[status] = statuses.get(status, 0) + 1
            if status >= 500 and status != 503:  # 503: an outside service (SMS) is down, said in our error shape
                failures.append(f"{label}: {status} for {case.path_parameters} {case.query} {case.body!r}"[:400])
                return
            broken = violation(operation, case, response) if validate else ""
            if broken:
                failures.append(f"{label} -> {status}: {broken}"[:400])
                return

    run()


def bearer(user) -> APIClient:
    """An API client signed in as ``user`` with a bearer token, as the mini-program is."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user, method=ApiToken.Method.PASSWORD).access}")
    return client


def test_no_operation_of_the_api_answers_a_server_error(district):
    signed_in = bearer(UserFactory(role=Role.STREET_ADMIN, username="fuzz-root", is_superuser=True))
    operations = operations_logout_last(api_schema())
    failures: list[str] = []
    for operation in operations:
        fuzz_operation(operation, [signed_in, APIClient()], failures)
    assert operations and not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:40])


def violation(operation, case, response) -> str:
    """How a Django test response breaks the operation's documented responses ("" when it does not)."""
    import requests
    from schemathesis.core.transport import Response

    checked = Response(
        status_code=response.status_code,
        headers={name.lower(): [value] for name, value in response.headers.items()},
        content=response.content,
        request=requests.Request(case.method, f"http://testserver{case.formatted_path}").prepare(),
        elapsed=0.0,
        verify=True,
    )
    try:
        operation.validate_response(checked, case=case)
    except (BaseExceptionGroup, Exception) as exc:  # schemathesis' FailureGroup: one failure per broken rule
        said = [
            "/".join(map(str, getattr(e, "instance_path", [])))
            + ": "
            + str(getattr(e, "message", e)).strip().split("\n")[0]
            for e in getattr(exc, "exceptions", [exc])
        ]
        return " | ".join(said)[:300] or type(exc).__name__
    return ""


@pytest.fixture
def resident_with_home(district):
    """The resident account with a person behind it and a room: the self-service endpoints answer with data."""
    from residents.factories import ResidentFactory, TenancyFactory

    EnterpriseFactory().staff.add(district.users[Role.ENTERPRISE])
    resident = ResidentFactory(user=district.users[Role.RESIDENT])
    TenancyFactory(resident=resident, room=district.mine.rooms.first())
    return resident


def test_the_mini_program_users_get_no_server_error_and_only_documented_answers(district, resident_with_home):
    users = (resident_with_home.user, district.users[Role.PROPERTY_MANAGER], district.users[Role.ENTERPRISE])
    clients = [bearer(user) for user in users]
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for operation in operations_logout_last(api_schema()):
        fuzz_operation(operation, clients, failures, statuses=statuses)
    # Each role is refused most other roles' operations (403); past sign-in and throttles, the views must answer
    # a good share (a 401 for all after a logout once hid that the fuzzing reached nothing).
    reached = sum(n for status, n in statuses.items() if status not in (401, 403, 429))
    assert reached > sum(statuses.values()) / 4, f"the views answered too few cases to judge: {statuses}"
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} answers off the schema or server errors:\n" + "\n".join(unique[:40])


def test_the_schema_check_catches_an_answer_off_the_schema(district):
    """The check above is not vacuous: a job list without its list, or with an item whose id is a word, is caught."""
    from django.http import JsonResponse

    cache.clear()  # the per-IP throttle of public lists counts in the in-process cache across earlier tests
    operation = api_schema()["/api/v1/jobs/"]["GET"]
    case = operation.Case()
    right = answer(APIClient(), case)
    assert right.status_code == 200 and violation(operation, case, right) == ""
    assert "results" in violation(operation, case, JsonResponse({"next": None, "previous": None}))
    said = violation(operation, case, JsonResponse({"results": [{"id": "first", "title": "保安"}]}))
    assert '"first" is not of type "integer"' in said and '"enterprise" is a required property' in said
