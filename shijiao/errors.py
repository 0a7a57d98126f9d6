"""The project's own exception for a rule of the domain that refuses a request.

Domain modules raise it without knowing about the web: the one API exception handler (`shijiao/api.py`) turns it
into the JSON error envelope and its status, pages and admin actions show its message, the alarm socket sends it.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the request (room full, deadline passed...).

    ``code`` is stable for clients, ``message`` is for people (already in the active language), ``field`` names the
    input the message is about (the envelope lists it under ``errors``), ``status_code`` is the HTTP status the API
    answers with (400 unless the refusal is of another kind: 404, 409, 429, 502...).
    """

    def __init__(
        self, message: str, code: str = "domain_error", status_code: int = 400, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.status_code = status_code
        self.field = field

    def __str__(self) -> str:
        return self.message
