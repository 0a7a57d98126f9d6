"""The API's URL conf: every app under api/v1/ resolves as before; the list of tried patterns is DEBUG's only."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve, reverse

from services.views import JobViewSet


def inside_the_api(tried: list) -> list:
    return [chain for chain in tried if len(chain) > 1 and str(chain[0].pattern) == "api/v1/"]


def test_a_path_in_the_last_app_resolves_to_its_view_and_name(settings):
    settings.DEBUG = False
    match = resolve("/api/v1/jobs/12/")
    assert match.func.cls is JobViewSet and match.kwargs == {"pk": "12"}
    assert match.view_name == "v1:services:job-detail"
    assert reverse(match.view_name, kwargs={"pk": 12}) == "/api/v1/jobs/12/"


def test_production_keeps_no_list_of_tried_patterns_but_debug_does(settings):
    settings.DEBUG = False  # the root's own list (Django's resolver) goes on, but nothing from inside the API
    assert not inside_the_api(resolve("/api/v1/jobs/").tried)
    with pytest.raises(Resolver404) as quiet:
        resolve("/api/v1/no-such-thing/")
    assert not inside_the_api(quiet.value.args[0]["tried"])

    settings.DEBUG = True  # the technical 404 page lists what was tried, through every app
    with pytest.raises(Resolver404) as loud:
        resolve("/api/v1/no-such-thing/")
    assert inside_the_api(loud.value.args[0]["tried"])
    tried = [" ".join(str(p.pattern) for p in chain) for chain in loud.value.args[0]["tried"]]
    assert any("api/v1/ " in t and "jobs/" in t for t in tried) and any("me/resident/" in t for t in tried)
