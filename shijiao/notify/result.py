"""The outcome of one send on the channels that have no result type of their own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SendResult:
    ok: bool
    code: str = ""
    message: str = ""
    ref: str = ""  # the provider's id for the message (task id, DING id...)
    retryable: bool = False

    @classmethod
    def unreachable(cls, message: str) -> SendResult:
        return cls(ok=False, code="NetworkError", message=message, retryable=True)
