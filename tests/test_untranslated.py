"""The i18n tests' file lists must not pass by checking nothing when a folder moves."""

from __future__ import annotations

import pytest

from tests.untranslated import ROOT, found


def test_it_fails_when_a_folder_has_nothing_to_check(tmp_path):
    with pytest.raises(AssertionError, match=r"nothing to check: no \*.html"):
        found(tmp_path / "moved-away", "*.html")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AssertionError):
        found(tmp_path / "empty", "*.po")


def test_it_lists_the_pages_of_a_folder_in_order():
    pages = found(ROOT / "templates" / "residents", "*.html")
    assert pages == sorted(pages) and all(p.suffix == ".html" for p in pages)
