"""Protocol clients for the outside services that reach people: SMS, voice, DingTalk, WeCom, webhooks, e-mail.

Each client speaks the real protocol (signatures included), takes its endpoint and keys from settings,
and reports the outcome as a result object instead of raising for remote failures, so a caller can
record one delivery attempt per call and decide about a retry with ``result.retryable``.
"""
