"""Registering devices: one at a time, or a whole block from a CSV file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import User
from apartments.models import Apartment, Room
from apartments.scoping import apartments_for
from sensors.models import Device, DeviceType

CSV_COLUMNS = ["key", "type", "apartment", "floor", "room", "location", "reporting_interval", "protocol", "product_key"]
CSV_REQUIRED = {"key", "type", "apartment"}
CSV_MAX_ROWS = 5000


@dataclass
class ImportResult:
    created: list[tuple[Device, str]] = field(default_factory=list)  # (device, token shown once)
    errors: list[str] = field(default_factory=list)


def device_issue_token(*, device: Device, actor: User | None) -> str:
    """A new access token for ``device`` (shown once; the old one stops working), audited."""
    token = device.issue_token()
    audit_record(actor=actor, action="device.token.issue", target=device)
    return token


def devices_import_csv(*, data: bytes | str, actor: User) -> ImportResult:
    """Create the devices listed in a CSV file (header row with CSV_COLUMNS; only key, type, apartment required).

    All or nothing: any bad row leaves the registry untouched and every problem is reported with its line.
    ``apartment`` is the block's code (e.g. SQ-006); ``type`` a device type code; the actor may only add
    devices to blocks they answer for.
    """
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    result = ImportResult()
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = CSV_REQUIRED - set(header)
    if missing:
        result.errors.append(_("表头缺少列: %(cols)s") % {"cols": ", ".join(sorted(missing))})
        return result
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        result.errors.append(_("未知的列: %(cols)s") % {"cols": ", ".join(sorted(unknown))})
        return result
    types = {t.code: t for t in DeviceType.objects.all()}
    visible = {a.code: a for a in apartments_for(actor)}
    rows: list[tuple[int, Device]] = []
    seen_keys: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        if line - 1 > CSV_MAX_ROWS:
            result.errors.append(_("一次最多导入 %(n)s 台设备") % {"n": CSV_MAX_ROWS})
            break
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        device, problems = _device_from_row(row, types, visible)
        if device is not None and device.key in seen_keys:
            problems.append(_("设备编号 %(key)s 在文件中重复") % {"key": device.key})
        if device is not None:
            seen_keys.add(device.key)
        result.errors.extend(_("第 %(line)s 行: %(problem)s") % {"line": line, "problem": p} for p in problems)
        if device is not None and not problems:
            rows.append((line, device))
    existing = set(Device.objects.filter(key__in=seen_keys).values_list("key", flat=True))
    for line, device in rows:
        if device.key in existing:
            result.errors.append(_("第 %(line)s 行: 设备编号 %(key)s 已登记") % {"line": line, "key": device.key})
    if result.errors:
        return result
    if not rows:
        result.errors.append(_("文件中没有设备"))
        return result
    with transaction.atomic():
        for _line, device in rows:
            device.save()
            result.created.append((device, device.issue_token()))
            audit_record(actor=actor, action="device.import", target=device)
    return result


def _device_from_row(row: dict, types: dict, visible: dict) -> tuple[Device | None, list[str]]:
    problems: list[str] = []
    device_type = types.get(row.get("type", ""))
    if device_type is None:
        problems.append(_("设备类型 %(type)s 不存在") % {"type": row.get("type", "")})
    apartment: Apartment | None = visible.get(row.get("apartment", ""))
    if apartment is None:
        problems.append(_("公寓 %(code)s 不存在或不在您的管辖范围") % {"code": row.get("apartment", "")})
    floor = _int(row.get("floor"), _("楼层"), problems)
    interval = _int(row.get("reporting_interval"), _("上报周期"), problems)
    room = None
    if row.get("room") and apartment is not None:
        room = Room.objects.filter(apartment=apartment, number=row["room"]).first()
        if room is None:
            problems.append(_("房间 %(room)s 不存在") % {"room": row["room"]})
    protocol = row.get("protocol") or Device.Protocol.NATIVE
    if protocol not in Device.Protocol.values:
        problems.append(_("接入协议应为 %(choices)s 之一") % {"choices": ", ".join(Device.Protocol.values)})
    if problems:
        return None, problems
    device = Device(
        key=row["key"],
        device_type=device_type,
        apartment=apartment,
        floor=floor,
        room=room,
        location=row.get("location", ""),
        reporting_interval=interval or 30,
        protocol=protocol,
        alink_product_key=row.get("product_key", ""),
    )
    try:
        device.full_clean(exclude=["token_hash"], validate_unique=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            label = Device._meta.get_field(name).verbose_name if name != "__all__" else ""
            problems.extend(f"{label} {message}".strip() for message in messages)
        return None, problems
    return device, problems


def _int(raw: str | None, label: str, problems: list[str]) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        problems.append(_("%(label)s 应为整数, 收到 %(raw)s") % {"label": label, "raw": raw[:20]})
        return None
