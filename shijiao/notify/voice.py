"""Alibaba Cloud voice notification: a text-to-speech phone call (dyvmsapi ``SingleCallByTts``, 2017-05-25).

Settings: ALIYUN_VOICE_ENDPOINT, ALIYUN_VOICE_SHOW_NUMBER (the number the callee sees), the shared
AccessKey. Never raises for a remote failure; see ``VoiceResult.retryable``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings

from shijiao.notify import aliyun
from shijiao.notify.http import TransportError


@dataclass
class VoiceResult:
    ok: bool
    request_id: str = ""
    call_id: str = ""
    code: str = ""
    message: str = ""

    @property
    def retryable(self) -> bool:
        return not self.ok and (self.code == "NetworkError" or self.code in aliyun.RETRYABLE_CODES)


def call_by_tts(
    *,
    called_number: str,
    tts_code: str,
    tts_param: dict,
    out_id: str,
    play_times: int = 2,
    show_number: str | None = None,
) -> VoiceResult:
    """Ring ``called_number`` and read the TTS template ``tts_code`` filled with ``tts_param``."""
    if not called_number or not called_number.strip():
        raise ValueError("call_by_tts: no number to call")
    if not tts_code:
        raise ValueError("call_by_tts: tts_code is required")
    params = {
        "CalledShowNumber": show_number or settings.ALIYUN_VOICE_SHOW_NUMBER,
        "CalledNumber": called_number.strip(),
        "TtsCode": tts_code,
        "TtsParam": json.dumps(tts_param, ensure_ascii=False, separators=(",", ":")),
        "PlayTimes": str(max(1, min(play_times, 3))),
        "OutId": out_id,
    }
    try:
        answer = aliyun.call(
            settings.ALIYUN_VOICE_ENDPOINT,
            action="SingleCallByTts",
            version="2017-05-25",
            access_key_id=settings.ALIYUN_ACCESS_KEY_ID,
            secret=settings.ALIYUN_ACCESS_KEY_SECRET,
            params=params,
        )
    except TransportError as exc:
        return VoiceResult(ok=False, code="NetworkError", message=str(exc))
    body = answer.body
    code = str(body.get("Code", "") or f"HTTP{answer.status}")
    return VoiceResult(
        ok=code == "OK",
        request_id=str(body.get("RequestId", "")),
        call_id=str(body.get("CallId", "")),
        code=code,
        message=str(body.get("Message", "") or answer.text[:200]),
    )
