"""Alibaba Cloud voice notification: a text-to-speech phone call (dyvmsapi ``SingleCallByTts``, 2017-05-25).

Settings: ALIYUN_VOICE_ENDPOINT, ALIYUN_VOICE_SHOW_NUMBER (the number the callee sees), the shared
AccessKey. Never raises for a remote failure; see ``VoiceResult.retryable``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings

from shijiao.notify import aliyun


@dataclass
class VoiceResult(aliyun.Reply):
    call_id: str = ""


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
    reply, body = aliyun.perform(settings.ALIYUN_VOICE_ENDPOINT, action="SingleCallByTts", params=params)
    return VoiceResult(**reply.fields(), call_id=str(body.get("CallId", "")))
