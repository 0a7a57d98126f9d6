"""The H5 client's page and script strings in English for a phone that asks for it; Chinese by default."""

from __future__ import annotations

import pytest

from tests.untranslated import ROOT, catalog_problems, found, untranslated_in_script, untranslated_in_template

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_h5_page_is_chinese_by_default_with_a_switch_to_english(client):
    body = client.get("/h5/").content.decode()
    assert '<html lang="zh-hans">' in body and "<title>e智办 · 新市民服务</title>" in body and ">退出<" in body
    assert ">English</button>" in body


def test_the_h5_page_loads_the_catalog_before_its_script_in_english(client):
    body = client.get("/h5/", **EN).content.decode()
    assert '<html lang="en">' in body and "<title>e-Zhiban · Services for new residents</title>" in body
    assert ">Log out<" in body and 'aria-label="Back"' in body and ">中文</button>" in body
    assert body.index('<script src="/jsi18n/">') < body.index("h5/app.js")


def test_the_javascript_catalog_carries_the_h5_words_in_english(client):
    english = client.get("/jsi18n/", **EN).content.decode()
    assert '"\\u83b7\\u53d6\\u9a8c\\u8bc1\\u7801": "Get code"' in english  # 获取验证码
    assert "Your first login creates your account" in english
    assert "Get code" not in client.get("/jsi18n/").content.decode()


def test_it_leaves_no_chinese_untranslated_in_the_h5_client():
    assert untranslated_in_template(ROOT / "templates" / "h5" / "index.html") == []
    assert untranslated_in_script(ROOT / "static" / "h5" / "app.js") == []
    for po in found(ROOT / "services" / "locale" / "en" / "LC_MESSAGES", "*.po"):
        assert catalog_problems(po) == [], po.name
