"""Refresh the English catalogs, one per app: ``python -m shijiao.catalogs [app ...]`` (every app by default).

Chinese is the source language (the msgids). Each app's catalog, ``<app>/locale/en/LC_MESSAGES/``, holds its
Python strings and those of the top-level templates and scripts it serves (``PAGES``): makemessages only walks
the folder it runs in, so they are linked into the app folder for the run. Fill in every new msgstr (the apps'
i18n tests refuse empty or fuzzy entries), then ``python -m shijiao.catalogs --compile <app>``.

Run from the project root: inside an app folder, Celery's Django fix-up puts that folder first on sys.path
and an app's ``demo.py`` shadows the ``demo`` app, so ``../manage.py makemessages`` there fails.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# app -> the top-level templates, scripts and files whose strings its catalog carries
PAGES: dict[str, list[str]] = {
    "accounts": ["shijiao/urls.py", "shijiao/settings.py"],  # the admin site's titles, the language names
    "apartments": ["templates/inspections", "static/inspections"],
    "residents": ["templates/residents"],
    "sensors": [],
    "alerts": ["templates/alerts", "static/alerts", "templates/video", "static/video"],
    "services": ["templates/h5", "static/h5", "shijiao/api.py"],  # the H5 client; the API's error envelope
    "cockpit": ["templates/cockpit", "static/cockpit"],
}


@contextmanager
def _linked(app_dir: Path, paths: list[str]) -> Iterator[None]:
    links = []
    try:
        for path in paths:
            link = app_dir / ("_" + path.replace("/", "_"))
            link.symlink_to(os.path.relpath(ROOT / path, app_dir))
            links.append(link)
        yield
    finally:
        for link in links:
            link.unlink(missing_ok=True)


def refresh(app: str, *, compile_only: bool = False) -> None:
    """Update ``app``'s django (and, with scripts, djangojs) catalog from its sources, then compile it."""
    from django.core.management import call_command

    app_dir = ROOT / app
    (app_dir / "locale").mkdir(exist_ok=True)
    here = os.getcwd()
    os.chdir(app_dir)  # makemessages reads the current folder and writes to its locale/
    try:
        if not compile_only:
            options = {
                "locale": ["en"],
                "symlinks": True,
                "no_location": True,
                "no_obsolete": True,
                "ignore_patterns": ["tests", "migrations"],
                "verbosity": 0,
            }
            with _linked(app_dir, PAGES[app]):
                call_command("makemessages", **options)
                if any(path.startswith("static/") for path in PAGES[app]):
                    call_command("makemessages", domain="djangojs", **options)
        call_command("compilemessages", locale=["en"], verbosity=0)
    finally:
        os.chdir(here)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m shijiao.catalogs",
        description="Refresh and compile the English catalog of each app (Chinese msgids), "
        "including the strings of the top-level templates and scripts the app serves.",
    )
    parser.add_argument("apps", nargs="*", choices=sorted(PAGES), metavar="app", help="default: every app")
    parser.add_argument("--compile", action="store_true", help="only compile the .po files into .mo files")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shijiao.settings")
    import django

    django.setup()
    for app in args.apps or PAGES:
        refresh(app, compile_only=args.compile)


if __name__ == "__main__":
    main()
