"""The three payload formats devices speak, turned into data points or rejections.

- native JSON on ``shijiao/<device key>/telemetry`` (``docs/device-protocol.md``),
- ThingsBoard's device API (``v1/devices/me/telemetry`` with the token as MQTT username),
- Alibaba Cloud IoT Alink ``thing.event.property.post`` on ``/sys/<productKey>/<deviceName>/thing/event/property/post``.

Parsing never raises on input: each problem becomes a ``(reason, detail)`` rejection and the
good readings of the same message are kept. The detail is in the active language: the device's (or the
staff member's) over HTTP, LANGUAGE_CODE in the MQTT consumer, which is what the rejection list stores.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from django.conf import settings
from django.utils.translation import gettext as _

from sensors.models import RejectionReason as R
from sensors.models import hash_token
from sensors.registry import DeviceEntry, Directory, reload_after_miss
from sensors.types import Point

SHANGHAI = ZoneInfo("Asia/Shanghai")
HTTP_TOPIC = "http"  # what HTTP ingest passes as the topic; the token says which device it is
TB_PREFIX = "tb"  # the broker maps a ThingsBoard client's v1/devices/me/... to tb/<username>/v1/devices/me/...
TB_TELEMETRY = "v1/devices/me/telemetry"
TB_RPC_RESPONSE = "v1/devices/me/rpc/response/"
SAMPLE_CHARS = 200


@dataclass(slots=True)
class RawMessage:
    """One message as it arrived: MQTT topic (or ``http``), the sender's username or token, the body."""

    topic: str
    payload: bytes | str
    username: str = ""
    received_at: float | None = None  # epoch seconds; None means now


@dataclass(slots=True)
class CommandReply:
    command_id: str
    ok: bool
    message: str


@dataclass(slots=True)
class Parsed:
    source: str  # device key, or what identifies an unknown sender
    device: DeviceEntry | None = None
    points: list[Point] = field(default_factory=list)
    rejections: list[tuple[str, str]] = field(default_factory=list)  # (reason, detail)
    heard: bool = False  # the device showed it is alive (readings, heartbeat, command reply)
    reply: CommandReply | None = None
    sample: str = ""

    def reject(self, reason: str, detail: str) -> None:
        self.rejections.append((reason, _printable(detail)))


def token_source(token: str) -> str:
    """How an unknown token shows in the rejection list: a digest prefix, never the token itself."""
    return f"token:{hashlib.sha256(token.encode()).hexdigest()[:12]}" if token else "token:(空)"


def parse_message(message: RawMessage, directory: Directory, now: datetime) -> Parsed:
    """Route ``message`` by topic, find its device, decode its body into points."""
    topic = message.topic
    parts = topic.split("/")
    if topic == HTTP_TOPIC:
        return _with_device_by_token(message, directory, now, kind="auto")
    if parts[0] == "shijiao" and len(parts) >= 3:
        key, rest = parts[1], "/".join(parts[2:])
        if rest in {"telemetry", "heartbeat", "command/result"}:
            return _with_device_by_key(message, directory, now, key=key, kind=rest)
        if rest == "command":
            return Parsed(source=_clip(key, 96))  # our own downlink command, seen through the wildcard
    if _is_thingsboard_request(parts):
        return Parsed(source=_clip(topic, 96))  # our own RPC request (or the device's view of it)
    if topic == TB_TELEMETRY or topic.startswith(TB_RPC_RESPONSE):
        if not message.username:
            return _unmounted_thingsboard(message)
        return _with_device_by_token(message, directory, now, kind=_tb_kind(topic))
    if parts[0] == TB_PREFIX and len(parts) >= 3:
        inner = "/".join(parts[2:])
        if inner == TB_TELEMETRY or inner.startswith(TB_RPC_RESPONSE):
            return _with_thingsboard_mount(message, directory, now, ident=parts[1], inner=inner)
    if len(parts) == 8 and parts[0] == "" and parts[1] == "sys" and parts[4:] == ["thing", "event", "property", "post"]:
        return _with_device_by_key(message, directory, now, key=parts[3], kind="alink", product_key=parts[2])
    if len(parts) == 7 and parts[0] == "" and parts[1] == "sys" and parts[4:6] == ["thing", "service"]:
        if not parts[6].endswith("_reply"):
            return Parsed(source=parts[3])  # our own downlink command, seen through the wildcard: nothing to do
        return _with_device_by_key(message, directory, now, key=parts[3], kind="command/result", product_key=parts[2])
    parsed = Parsed(source=_clip(topic, 96), sample=_sample(message.payload))
    parsed.reject(R.UNKNOWN_TOPIC, _("未知主题 %(topic)s") % {"topic": _clip(topic, 120)})
    return parsed


def _is_thingsboard_request(parts: list[str]) -> bool:
    """``[tb/<key>/]v1/devices/me/rpc/request/<id>``: a downlink, never ingested."""
    inner = parts[2:] if parts[0] == TB_PREFIX else parts
    return len(inner) == 6 and inner[:5] == ["v1", "devices", "me", "rpc", "request"]


def _unmounted_thingsboard(message: RawMessage) -> Parsed:
    """A ThingsBoard device's message that reached the consumer as the device sent it: the broker did not put it
    under ``tb/<key>/``, so nothing says which device sent it. Recorded loudly, with the fix."""
    parsed = Parsed(source="v1/devices/me (未挂载)", sample=_sample(message.payload))
    parsed.reject(
        R.BAD_TOKEN,
        _(
            "ThingsBoard 设备的消息没有身份: 代理未把 v1/devices/me/… 挂载到 tb/<设备编号>/ 下 "
            '(EMQX 监听器 mountpoint = "tb/${clientid}/", 设备以设备编号为 Client ID; 见 docs/device-protocol.md)'
        ),
    )
    return parsed


def _with_thingsboard_mount(
    message: RawMessage, directory: Directory, now: datetime, *, ident: str, inner: str
) -> Parsed:
    """``tb/<ident>/v1/devices/me/...``: the broker mounted a ThingsBoard device under ``tb/<its client id>/``, the
    device key, which its RPC requests go out under too (sensors/commands.py). A token there (an older username
    rewrite) is still understood."""
    routed = RawMessage(inner, message.payload, ident, message.received_at)
    if ident not in directory.by_key and hash_token(ident) not in directory.by_token_hash:
        directory = reload_after_miss()
    device = directory.by_key.get(ident)
    if device is None:
        return _with_device_by_token(routed, directory, now, kind=_tb_kind(inner))
    parsed = Parsed(source=device.key, device=device, sample=_sample(message.payload))
    if _tb_kind(inner) == "tb-rpc":
        return _decode(parsed, routed, now, "command/result", command_id=inner.rsplit("/", 1)[-1])
    return _decode(parsed, routed, now, "auto")


def _tb_kind(topic: str) -> str:
    return "tb-rpc" if topic.startswith(TB_RPC_RESPONSE) else "auto"


def _with_device_by_key(
    message: RawMessage, directory: Directory, now: datetime, *, key: str, kind: str, product_key: str = ""
) -> Parsed:
    device = directory.by_key.get(key) or reload_after_miss().by_key.get(key)
    parsed = Parsed(source=_clip(key, 96) or "(空)", device=device, sample=_sample(message.payload))
    if device is None:
        parsed.reject(R.UNKNOWN_DEVICE, _("未登记的设备编号 %(key)s") % {"key": _clip(key, 64)})
        return parsed
    if product_key and device.product_key and device.product_key != product_key:
        parsed.device = None
        parsed.reject(R.UNKNOWN_DEVICE, _("ProductKey %(key)s 与登记的不符") % {"key": _clip(product_key, 32)})
        return parsed
    return _decode(parsed, message, now, kind)


def _with_device_by_token(message: RawMessage, directory: Directory, now: datetime, *, kind: str) -> Parsed:
    token = message.username or ""
    digest = hash_token(token) if token else ""
    device = directory.by_token_hash.get(digest) if digest else None
    if device is None and digest:
        device = reload_after_miss().by_token_hash.get(digest)
    parsed = Parsed(source=token_source(token), device=device, sample=_sample(message.payload))
    if device is None:
        parsed.reject(R.BAD_TOKEN, _("令牌无效或缺失") if token else _("缺少设备令牌"))
        return parsed
    parsed.source = device.key
    if kind == "tb-rpc":
        command_id = message.topic.rsplit("/", 1)[-1]
        return _decode(parsed, message, now, "command/result", command_id=command_id)
    return _decode(parsed, message, now, kind)


def _decode(parsed: Parsed, message: RawMessage, now: datetime, kind: str, command_id: str = "") -> Parsed:
    device = parsed.device
    assert device is not None
    if not device.is_enabled:
        parsed.device = None
        parsed.reject(R.DISABLED, _("设备 %(key)s 已停用") % {"key": device.key})
        return parsed
    payload = message.payload
    if len(payload) > settings.INGEST_MAX_PAYLOAD_BYTES:
        parsed.reject(
            R.OVERSIZED,
            _("报文 %(n)d 字节, 超过上限 %(max)d 字节") % {"n": len(payload), "max": settings.INGEST_MAX_PAYLOAD_BYTES},
        )
        return parsed
    if kind == "heartbeat":
        parsed.heard = True  # any body: a heartbeat only says "I am alive"
        return parsed
    try:
        body = orjson.loads(payload) if payload else {}  # 3-5x json.loads; NaN and bad UTF-8 are refused
    except (ValueError, UnicodeDecodeError) as exc:
        parsed.reject(R.MALFORMED, _("JSON 无法解析: %(error)s") % {"error": _clip(str(exc), 120)})
        return parsed
    received = _received(message, now)
    if kind == "command/result":
        return _command_reply(parsed, body, command_id)
    if kind == "alink" or (kind == "auto" and isinstance(body, dict) and "method" in body):
        entries = _alink_entries(parsed, body)
    else:
        entries = _telemetry_entries(parsed, body)
    if entries is None:
        return parsed
    total = sum(len(values) for _ts, values in entries)
    if total > settings.INGEST_MAX_POINTS_PER_MESSAGE:
        parsed.reject(
            R.OVERSIZED,
            _("一条报文 %(n)d 个数据点, 超过上限 %(max)d")
            % {"n": total, "max": settings.INGEST_MAX_POINTS_PER_MESSAGE},
        )
        return parsed
    parsed.heard = True  # even an empty report shows the device is alive
    earliest = now - timedelta(days=settings.INGEST_MAX_PAST_DAYS)
    latest = now + timedelta(seconds=settings.INGEST_MAX_FUTURE_SECONDS)
    for raw_ts, values in entries:
        entry_ts = _timestamp(parsed, raw_ts, received, earliest, latest, quiet=True)  # once for its values
        for name, raw_value, item_ts in values:
            if item_ts is not None or entry_ts is None:  # its own time, or the entry's is refused (said per value)
                ts = _timestamp(parsed, item_ts if item_ts is not None else raw_ts, received, earliest, latest)
            else:
                ts = entry_ts
            if ts is None:
                continue
            value = _value(parsed, device, name, raw_value)
            if value is not None:
                parsed.points.append(Point(device.id, value[0], ts, value[1]))
    return parsed


Entry = tuple[Any, list[tuple[str, Any, Any]]]  # (ts, [(metric name, value, own ts or None)])


def _telemetry_entries(parsed: Parsed, body: Any) -> list[Entry] | None:
    """Native and ThingsBoard bodies: ``{metric: value}``, ``{"ts", "values"}``, or a list of those."""
    items = body if isinstance(body, list) else [body]
    entries: list[Entry] = []
    for item in items:
        if not isinstance(item, dict):
            parsed.reject(R.BAD_SHAPE, _("应为 JSON 对象, 收到 %(type)s") % {"type": type(item).__name__})
            continue
        if "values" in item:
            values = item["values"]
            if not isinstance(values, dict):
                parsed.reject(R.BAD_SHAPE, _("values 应为 JSON 对象"))
                continue
            extra = set(item) - {"ts", "values"}
            if extra:
                parsed.reject(R.BAD_SHAPE, _("多余的字段 %(fields)s") % {"fields": ", ".join(sorted(extra))[:80]})
            entries.append((item.get("ts"), [(name, value, None) for name, value in values.items()]))
        else:
            entries.append((None, [(name, value, None) for name, value in item.items()]))
    return entries


def _alink_entries(parsed: Parsed, body: Any) -> list[Entry] | None:
    """Alink ``{"method": "thing.event.property.post", "params": {Id: {"value", "time"} | value}}``."""
    if not isinstance(body, dict) or body.get("method") != "thing.event.property.post":
        method = body.get("method") if isinstance(body, dict) else None
        detail = _("Alink method 应为 thing.event.property.post, 收到 %(method)s") % {"method": _clip(str(method), 60)}
        parsed.reject(R.BAD_SHAPE, detail)
        return None
    params = body.get("params")
    if not isinstance(params, dict):
        parsed.reject(R.BAD_SHAPE, _("Alink params 应为 JSON 对象"))
        return None
    values = []
    for name, item in params.items():
        if isinstance(item, dict):
            if "value" not in item:
                parsed.reject(R.BAD_SHAPE, _("属性 %(name)s 缺少 value") % {"name": _clip(name, 32)})
                continue
            values.append((name, item["value"], item.get("time")))
        else:
            values.append((name, item, None))
    return [(body.get("time"), values)]


def _command_reply(parsed: Parsed, body: Any, command_id: str) -> Parsed:
    """Native ``{"id", "ok", "message"}``; ThingsBoard RPC response bodies are free-form (id in the topic)."""
    parsed.heard = True
    if not isinstance(body, dict):
        body = {"result": body}
    command_id = command_id or str(body.get("id", ""))
    if not command_id:
        parsed.reject(R.BAD_SHAPE, _("指令应答缺少 id"))
        return parsed
    if "code" in body:  # Alink service reply: 200 means done
        ok = body.get("code") == 200
    else:
        ok = body.get("ok", body.get("success", True)) is not False and "error" not in body
    message = body.get("message") or body.get("error") or ""
    parsed.reply = CommandReply(command_id=_clip(command_id, 64), ok=ok, message=_clip(str(message), 200))
    return parsed


def _received(message: RawMessage, now: datetime) -> datetime:
    if message.received_at is None:
        return now
    return datetime.fromtimestamp(message.received_at, tz=UTC)


def _timestamp(
    parsed: Parsed, raw: Any, received: datetime, earliest: datetime, latest: datetime, *, quiet: bool = False
) -> datetime | None:
    """The reading's time, or None with a rejection (``quiet``: None without one)."""
    ts = received if raw is None else _parse_ts(raw)
    if quiet:
        return ts if ts is not None and earliest <= ts <= latest else None
    if ts is None:
        parsed.reject(R.BAD_TIMESTAMP, _("无法识别的时间戳 %(raw)s") % {"raw": _clip(repr(raw), 60)})
        return None
    if ts > latest:
        parsed.reject(
            R.FUTURE_TIMESTAMP, _("时间戳 %(ts)s 晚于当前时间") % {"ts": f"{ts.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"}
        )
        return None
    if ts < earliest:
        parsed.reject(
            R.STALE_TIMESTAMP,
            _("时间戳 %(ts)s 早于可接收范围") % {"ts": f"{ts.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"},
        )
        return None
    return ts


def _parse_ts(raw: Any) -> datetime | None:
    """Epoch milliseconds (ThingsBoard, Alink), epoch seconds, or ISO 8601 (naive means Beijing time)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            try:
                ts = datetime.fromisoformat(raw)
            except ValueError:
                return None
            return ts if ts.tzinfo else ts.replace(tzinfo=SHANGHAI)
    if isinstance(raw, int | float) and math.isfinite(raw) and raw > 0:
        seconds = raw / 1000 if raw >= 1e11 else raw  # 1e11 s is the year 5138: bigger means milliseconds
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _value(parsed: Parsed, device: DeviceEntry, name: Any, raw: Any) -> tuple[str, float] | None:
    spec = device.metrics.get(str(name).lower())
    if spec is None:
        parsed.reject(
            R.UNKNOWN_METRIC, _("%(type)s 没有指标 %(name)s") % {"type": device.type_code, "name": _clip(str(name), 40)}
        )
        return None
    if isinstance(raw, bool):
        if not spec.is_boolean:
            parsed.reject(R.WRONG_TYPE, _("%(key)s 应为数值, 收到布尔值") % {"key": spec.key})
            return None
        return spec.key, 1.0 if raw else 0.0
    if not isinstance(raw, int | float):
        wanted = _("%(key)s 应为开关量, 收到 %(raw)s") if spec.is_boolean else _("%(key)s 应为数值, 收到 %(raw)s")
        parsed.reject(R.WRONG_TYPE, wanted % {"key": spec.key, "raw": _clip(repr(raw), 40)})
        return None
    value = float(raw)
    if not math.isfinite(value):
        parsed.reject(R.WRONG_TYPE, _("%(key)s 不是有限数值") % {"key": spec.key})
        return None
    if spec.is_boolean and value not in (0.0, 1.0):
        parsed.reject(R.OUT_OF_RANGE, _("%(key)s 只能是 0 或 1, 收到 %(value)g") % {"key": spec.key, "value": value})
        return None
    if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
        low = "-∞" if spec.low is None else f"{spec.low:g}"
        high = "+∞" if spec.high is None else f"{spec.high:g}"
        parsed.reject(
            R.OUT_OF_RANGE,
            _("%(key)s=%(value)g 超出物理范围 [%(low)s, %(high)s]")
            % {"key": spec.key, "value": value, "low": low, "high": high},
        )
        return None
    return spec.key, value


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sample(payload: bytes | str) -> str:
    if isinstance(payload, bytes):
        payload = payload[: SAMPLE_CHARS * 4].decode("utf-8", errors="replace")
    return _printable(_clip(payload, SAMPLE_CHARS))


def _printable(text: str) -> str:
    # PostgreSQL text cannot hold NUL: one such byte in a sample would fail the whole batch's transaction.
    return text.replace("\x00", "\ufffd")
