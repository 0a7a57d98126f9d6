"""A street clerk opens the Chinese admin on a phone and finds the blocks of the district."""

from __future__ import annotations

import pytest

from accounts.models import Role
from conftest import login

pytestmark = pytest.mark.browser


def test_grid_worker_sees_own_block_in_the_chinese_admin_on_a_phone(asgi_server, phone_page, district):
    login(phone_page, asgi_server.url, district.users[Role.GRID_WORKER].username)
    phone_page.goto(f"{asgi_server.url}/admin/apartments/apartment/")
    body = phone_page.inner_text("body")
    assert "新华工业园6号公寓" in body
    assert "华丰工业园9号公寓" not in body
    assert "公寓" in phone_page.title()
