"""What every review step on a resident's application shares (residence registration, e-residence permit).

A refusal needs a reason the resident can act on; a step applies to the row only in the status it expects, read
under a row lock so that two reviewers cannot both decide.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model

from shijiao.errors import DomainError

Row = TypeVar("Row", bound=Model)


def required_reason(reason: str, message: str) -> str:
    """The reason, trimmed and cut to the column's 255 characters; ``message`` refuses an empty one."""
    reason = reason.strip()
    if not reason:
        raise DomainError(message, code="reason_required")
    return reason[:255]


def locked_in_status(row: Row, status: str, message: str, *, code: str) -> Row:
    """``row`` read again under a row lock; refused with ``message`` (naming the row's ``%(status)s``) unless it is
    in ``status``. Call inside ``transaction.atomic``."""
    row = type(row).objects.select_for_update().get(pk=row.pk)
    if row.status != status:
        raise DomainError(message % {"status": row.get_status_display()}, code=code)
    return row
