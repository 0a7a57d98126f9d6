"""Fast inserts for seeding (the demo district): rows as tuples straight into the table (SQLite
``executemany``, PostgreSQL ``COPY``), skipping the model instances ``bulk_create`` builds (which cost most of
the seed's time at 56,300 residents and a month of door events and readings).

Only for seeding: no signals, no ``save()``, no validation. The caller names the columns it sets; the others get
their field's default (``auto_now``/``auto_now_add``: now; nullable: NULL). Values are given as the model would
hold them, with these conversions made here per column:

- ``EncryptedTextField``: the clear value is encrypted with shijiao.pii (never stored in clear);
- ``DateTimeField`` / ``DateField``: aware datetimes and dates in the database's format;
- ``JSONField``: serialised.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from django.db import connection, models

from shijiao.pii import EncryptedTextField, encrypt

CHUNK = 20_000


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    sqlite = connection.vendor == "sqlite"
    if isinstance(field, EncryptedTextField):
        return lambda v: encrypt(str(v)) if v not in (None, "") else v
    if isinstance(field, models.DateTimeField):
        if sqlite:  # the same few thousand instants recur in a month of readings: convert each once
            return lru_cache(maxsize=65536)(
                lambda v: None if v is None else v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            )
        return None
    if isinstance(field, models.DateField):
        return (lambda v: None if v is None else date.isoformat(v)) if sqlite else None
    if isinstance(field, models.JSONField):
        return lambda v: json.dumps(v, ensure_ascii=False)
    if isinstance(field, models.DecimalField) and sqlite:
        return lambda v: None if v is None else str(v)
    return None


def bulk_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table; answer how many.

    ``progress`` is called with the running count after every chunk.
    """
    meta_fields = [model._meta.get_field(name) for name in fields]
    given = {f.column for f in meta_fields}
    extra: list[tuple[models.Field, Any]] = []  # columns the caller left out, with the value every row gets
    now = datetime.now(UTC)
    for field in model._meta.concrete_fields:
        if field.column in given or isinstance(field, models.AutoField):
            continue
        if field.primary_key:
            raise ValueError(f"bulk_insert({model.__name__}): give the primary key {field.name} of every row")
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            extra.append((field, now))
        elif field.has_default() or field.empty_strings_allowed and field.blank and not field.null:
            extra.append((field, field.get_default()))  # a blank text column without a default: ""
        elif field.null:
            extra.append((field, None))
        else:
            raise ValueError(f"bulk_insert({model.__name__}): give a value for {field.name} (no default)")
    fixed = tuple(v for _f, v in extra)
    meta_fields += [f for f, _v in extra]
    columns = [f.column for f in meta_fields]
    convert = [(i, c) for i, c in enumerate(_converter(f) for f in meta_fields) if c is not None]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    done = 0
    chunk: list[Sequence[Any]] = []

    def prepared(row: Sequence[Any]) -> Sequence[Any]:
        if fixed:
            row = (*row, *fixed)
        if not convert:
            return row
        row = list(row)
        for i, fn in convert:
            row[i] = fn(row[i])
        return row

    def flush() -> None:
        nonlocal done
        if not chunk:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", chunk)
        done += len(chunk)
        chunk.clear()
        if progress is not None:
            progress(done)

    for row in rows:
        chunk.append(prepared(row))
        if len(chunk) >= CHUNK:
            flush()
    flush()
    return done
