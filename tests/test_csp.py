from __future__ import annotations

import re

import pytest

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_pages_carry_a_policy_that_allows_only_our_scripts(client, district):
    client.force_login(district.users[Role.STREET_ADMIN])
    response = client.get("/admin/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "http" not in script_src


def test_the_one_inline_script_carries_this_responses_nonce(client):
    response = client.get("/h5/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in response.content.decode()
    assert nonce not in client.get("/h5/")["Content-Security-Policy"]  # a new nonce every response


def test_api_json_has_no_page_policy(client):
    assert "Content-Security-Policy" not in client.get("/healthz")


def test_camera_origins_come_from_settings(client, settings):
    settings.CSP_MEDIA_SRC = ["https://video.shiqiao.example"]
    assert "media-src 'self' blob: https://video.shiqiao.example" in client.get("/h5/")["Content-Security-Policy"]


def test_registered_cameras_may_stream_to_the_pages(client, district):
    from alerts.factories import CameraFactory

    block = district.mine
    CameraFactory(apartment=block, stream_url="https://cam.shiqiao.example:8443/live/3.m3u8")
    CameraFactory(apartment=block, stream_url="http://user:secret@10.0.0.9/flv/4.flv")
    CameraFactory(apartment=block, stream_url="https://off.shiqiao.example/x.m3u8", is_active=False)
    policy = client.get("/h5/")["Content-Security-Policy"]
    media = re.search(r"media-src ([^;]+)", policy).group(1).split()
    connect = re.search(r"connect-src ([^;]+)", policy).group(1).split()  # hls.js and mpegts.js fetch the stream
    for sources in (media, connect):
        assert "https://cam.shiqiao.example:8443" in sources and "http://10.0.0.9" in sources
        assert "https://off.shiqiao.example" not in sources and not any("secret" in s for s in sources)
