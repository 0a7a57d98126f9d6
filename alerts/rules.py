"""Rule evaluation: every ingested reading runs through the rules that apply to its device, in the batch.

Ingest calls ``evaluate_points`` by name through sensors/hooks.py (registered in alerts/apps.py as "alarm rules")
with each committed batch, in the worker that stored it, and ``evaluate_status`` with each device transition.
The per-(device, rule) state lives in ``RuleState`` rows,
locked for the batch, so "above for 40 s so far" survives a worker restart and two workers never
evaluate the same device's rule at the same time.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from alerts import alarms
from alerts.models import AlertRule, RuleCondition, RuleState
from sensors import storage, urgency
from sensors.models import Device, Metric
from sensors.types import Point
from sensors.urgency import Triggers

log = logging.getLogger(__name__)
K = RuleCondition.Kind

# --- compiled rules, cached per process ----------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    metric: str
    kind: str
    threshold: float | None
    high: float | None
    clear_low: float | None
    clear_high: float | None

    def met(self, value: float, rate: float | None) -> bool | None:
        """Whether the trigger condition holds (None when it cannot be told yet, e.g. a first rate)."""
        kind = self.kind
        if kind == K.ABOVE:
            return value >= self.threshold
        if kind == K.BELOW:
            return value <= self.threshold
        if kind == K.BETWEEN:
            return self.threshold <= value <= self.high
        if kind == K.OUTSIDE:
            return value < self.threshold or value > self.high
        if kind == K.IS_TRUE:
            return value >= 0.5
        if kind == K.RISE_RATE:
            return None if rate is None else rate >= self.threshold
        if kind == K.FALL_RATE:
            return None if rate is None else -rate >= self.threshold
        return None

    def cleared(self, value: float, rate: float | None) -> bool:
        """Whether the value is back on the safe side of the clear level (hysteresis)."""
        kind = self.kind
        if kind == K.ABOVE:
            return value < self.clear_low
        if kind == K.BELOW:
            return value > self.clear_low
        if kind == K.BETWEEN:
            return value < self.clear_low or value > self.clear_high
        if kind == K.OUTSIDE:
            return self.clear_low <= value <= self.clear_high
        if kind == K.IS_TRUE:
            return value < 0.5
        if kind == K.RISE_RATE:
            return rate is not None and rate < self.clear_low
        if kind == K.FALL_RATE:
            return rate is not None and -rate < self.clear_low
        return False

    @property
    def lower_is_worse(self) -> bool:
        return self.kind in {K.BELOW, K.FALL_RATE}


@dataclass(frozen=True)
class CompiledRule:
    id: int
    code: str
    name: str
    severity: str
    device_type_id: int
    apartment_id: int | None
    device_id: int | None
    enabled: bool
    combine: str
    duration: float
    reopen_after: float
    conditions: tuple[Condition, ...]
    offline: bool
    metrics: frozenset[str] = field(default_factory=frozenset)
    rate_metrics: frozenset[str] = field(default_factory=frozenset)  # metrics of its rise/fall-rate conditions
    incident: str = ""  # rules of one incident share one alarm per device (AlertRule.incident, else the code)
    conditions_on: dict[str, tuple[Condition, ...]] = field(default_factory=dict, compare=False)  # by metric

    @property
    def rank(self) -> int:
        return 2 if self.device_id else 1 if self.apartment_id else 0


class _RuleCache:
    """All rules compiled once per process; reloaded when a rule changes here or after ``ttl`` seconds."""

    ttl = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._by_type: dict[int, list[CompiledRule]] = {}
        self._rate_metrics: frozenset[str] = frozenset()
        self._by_device: dict[tuple[int, int, int], dict[str, list[CompiledRule]]] = {}  # see by_metric
        self.units: dict[tuple[int, str], str] = {}

    def invalidate(self, **_kwargs) -> None:
        self._loaded_at = 0.0
        urgency.table.invalidate()

    def rate_metrics(self) -> frozenset[str]:
        """Every metric some rule measures a rate of (only those need a reference reading warmed)."""
        self.by_type()
        return self._rate_metrics

    def by_metric(self, device: dict) -> dict[str, list[CompiledRule]]:
        """A device's rules by the metrics their conditions read (a metric no rule reads is passed over at once).
        Kept until the rules are reloaded (a device is in nearly every batch: profiled, working it out per batch
        was a tenth of the ingest worker's time)."""
        by_type = self.by_type()  # first: a reload empties the memo below
        key = (device["id"], device["device_type_id"], device["apartment_id"])
        found = self._by_device.get(key)
        if found is None:
            found = {}
            for rule in rules_for_device(device["device_type_id"], device["apartment_id"], device["id"], by_type):
                for metric in rule.metrics:
                    found.setdefault(metric, []).append(rule)
            if len(self._by_device) > 200_000:  # bounded like device_cache: a city's worker sees its share
                self._by_device.clear()
            self._by_device[key] = found
        return found

    def by_type(self) -> dict[int, list[CompiledRule]]:
        if time.monotonic() - self._loaded_at > self.ttl:
            with self._lock:
                self._load()
        return self._by_type

    def _load(self) -> None:
        by_type: dict[int, list[CompiledRule]] = defaultdict(list)
        rules = list(AlertRule.objects.prefetch_related("conditions"))
        # An override (block's, device's) without an incident of its own keeps its default rule's.
        default_incident = {
            (r.device_type_id, r.code): r.incident for r in rules if not r.apartment_id and not r.device_id
        }
        for rule in rules:
            conditions = []
            offline = False
            for c in rule.conditions.all():
                if c.kind == K.OFFLINE:
                    offline = True
                    continue
                low, high = c.effective_clear()
                conditions.append(Condition(c.metric, c.kind, c.threshold, c.threshold_high, low, high))
            by_type[rule.device_type_id].append(
                CompiledRule(
                    id=rule.id,
                    code=rule.code,
                    name=rule.name,
                    severity=rule.severity,
                    device_type_id=rule.device_type_id,
                    apartment_id=rule.apartment_id,
                    device_id=rule.device_id,
                    enabled=rule.is_enabled,
                    combine=rule.combine,
                    duration=float(rule.duration_seconds),
                    reopen_after=float(rule.reopen_after_seconds),
                    conditions=tuple(conditions),
                    offline=offline,
                    metrics=frozenset(c.metric for c in conditions),
                    rate_metrics=frozenset(c.metric for c in conditions if c.kind in (K.RISE_RATE, K.FALL_RATE)),
                    incident=rule.incident or default_incident.get((rule.device_type_id, rule.code)) or rule.code,
                    conditions_on=_by_metric(conditions),
                )
            )
        self.units = {(m.device_type_id, m.key): m.unit for m in Metric.objects.all()}
        self._by_type = dict(by_type)
        self._by_device = {}
        self._rate_metrics = frozenset().union(*(r.rate_metrics for rules in by_type.values() for r in rules))
        self._loaded_at = time.monotonic()


rule_cache = _RuleCache()


def _by_metric(conditions: list[Condition]) -> dict[str, tuple[Condition, ...]]:
    return {metric: tuple(c for c in conditions if c.metric == metric) for metric in {c.metric for c in conditions}}


def urgent_triggers() -> Triggers:
    """Each metric's loosest trigger over every enabled rule, for the MQTT consumer's fast lane (sensors.urgency).
    Rate conditions are left out: one message cannot show a rate. And the devices whose rules are busy (an alarm on
    or a duration running): any of their readings may hold, clear or fire it."""
    triggers = Triggers(
        devices=set(
            RuleState.objects.filter(Q(triggered=True) | Q(pending_since__isnull=False)).values_list(
                "device_id", flat=True
            )
        )
    )
    for rules in rule_cache.by_type().values():
        for rule in rules:
            if not rule.enabled:
                continue
            for c in rule.conditions:
                if c.kind == K.ABOVE:
                    triggers.add_above(c.metric, c.threshold)
                elif c.kind == K.BELOW:
                    triggers.add_below(c.metric, c.threshold)
                elif c.kind == K.BETWEEN:
                    triggers.within.setdefault(c.metric, []).append((c.threshold, c.high))
                elif c.kind == K.OUTSIDE:
                    triggers.add_below(c.metric, c.threshold)
                    triggers.add_above(c.metric, c.high)
                elif c.kind == K.IS_TRUE:
                    triggers.flags.add(c.metric)
    return triggers


def rules_for_device(
    device_type_id: int, apartment_id: int, device_id: int, by_type: dict[int, list[CompiledRule]] | None = None
) -> list[CompiledRule]:
    """The rules that apply to one device: per code, its own over its block's over its type's default."""
    chosen: dict[str, CompiledRule] = {}
    for rule in (by_type if by_type is not None else rule_cache.by_type()).get(device_type_id, ()):
        if rule.device_id and rule.device_id != device_id:
            continue
        if rule.apartment_id and rule.apartment_id != apartment_id:
            continue
        current = chosen.get(rule.code)
        if current is None or rule.rank > current.rank:
            chosen[rule.code] = rule
    return [rule for rule in chosen.values() if rule.enabled]


# --- evaluation ------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """What a batch did to one (device, rule): the alarm work to do after stepping through its points."""

    triggers: list[tuple[datetime, float | None, str]] = field(default_factory=list)
    holds: list[tuple[datetime, float | None, str]] = field(default_factory=list)
    cleared_at: datetime | None = None
    cleared_value: float | None = None  # the reading that cleared it: the alarm's "now" from then on
    late: list[tuple[datetime, float]] = field(default_factory=list)  # older readings of the shown metric


def _iso(ts: datetime) -> str:
    # UTC so that the stored strings compare in time order.
    return ts.astimezone(UTC).isoformat()


# A rate of change is measured over at least this long: between two readings a second apart, half a degree of
# sensor noise would otherwise look like a rise of 30 °C per minute.
RATE_WINDOW_SECONDS = 30.0


def _next_entry(entry: list | None, point: Point) -> list:
    """The metric's state after ``point``: [value, UTC ISO time, rate per minute, reference value, reference time].

    The rate compares the reading with a reference at least RATE_WINDOW_SECONDS older, then the reading becomes
    the new reference; readings in between keep the last rate (None until a first window has passed).
    """
    ts = _iso(point.ts)
    if entry is None:
        return _advance(None, point.value, ts, 0.0)
    ref_ts = entry[4] if len(entry) >= 5 else entry[1]
    return _advance(entry, point.value, ts, (point.ts - datetime.fromisoformat(ref_ts)).total_seconds())


def _advance(entry: list | None, value: float, ts, seconds: float) -> list:
    """The rate step of ``_next_entry`` for either form of time (``ts``: UTC ISO in ``RuleState``, epoch seconds in
    this process's ``_seen``); ``seconds``: since the entry's reference reading."""
    if entry is None:
        return [value, ts, None, value, ts]
    ref_value, ref_ts = (entry[3], entry[4]) if len(entry) >= 5 else (entry[0], entry[1])
    if seconds >= RATE_WINDOW_SECONDS:
        return [value, ts, (value - ref_value) * 60.0 / seconds, value, ts]
    return [value, ts, entry[2], ref_value, ref_ts]


def _step(rule: CompiledRule, state: RuleState, point: Point, outcome: _Outcome) -> bool:
    """Move the state on by one reading; False when the state had already gone past it (nothing done)."""
    values = state.values
    entry = values.get(point.metric)
    if entry is not None and entry[1] >= _iso(point.ts):
        return False  # a redelivered or out-of-order reading: the state already went past it
    values[point.metric] = _next_entry(entry, point)
    state.last_ts = point.ts

    results_met: list[bool] = []
    results_cleared: list[bool] = []
    for cond in rule.conditions:
        current = values.get(cond.metric)
        if current is None:
            results_met.append(False)
            results_cleared.append(True)
            continue
        met = cond.met(current[0], current[2])
        results_met.append(bool(met))
        results_cleared.append(cond.cleared(current[0], current[2]))
    if rule.combine == AlertRule.Combine.ANY:
        met, cleared = any(results_met), all(results_cleared)
    else:
        met, cleared = all(results_met), any(results_cleared)

    # The value that the alarm shows: the first condition's metric when it has one.
    shown_metric = rule.conditions[0].metric if rule.conditions else point.metric
    shown = values.get(shown_metric, [point.value])[0]
    if state.triggered:
        if cleared:
            state.triggered = False
            state.pending_since = None
            outcome.cleared_at = point.ts
            outcome.cleared_value = shown
        else:
            outcome.holds.append((point.ts, shown, shown_metric))
        return True
    if not met:
        state.pending_since = None
        return True
    if state.pending_since is None:
        state.pending_since = point.ts
    if (point.ts - state.pending_since).total_seconds() >= rule.duration:
        state.triggered = True
        state.fired_ts = point.ts
        outcome.triggers.append((point.ts, shown, shown_metric))
        outcome.cleared_at = None
    return True


def _replay_late(rule: CompiledRule, device_id: int, state: RuleState, late: list[Point], outcome: _Outcome) -> None:
    """Readings that arrive after later ones (a batch retried after a database restart; telemetry that waited in
    the backlog while the device's alarm-bearing reading went ahead on the alarm queue) are skipped by ``_step``,
    so a duration rule would measure from the first reading it happened to get and a rate rule compare with the
    wrong reference: an overheating whose start came late could stay "not long enough" for good, and a fast rise
    that came late was over before the rule saw it. For a rule not firing, replay the stored readings (the late
    ones among them) in time order from a duration before the earliest late reading. If the condition then holds
    long enough up to the newest reading, the rule fires now; if it held and has ended since (a rise that is
    over), the rule fires at its time and clears at its time, unless it already fired inside the replayed stretch
    (``fired_ts``: a late or redelivered reading inside an episode that was raised on time raises nothing twice)."""
    since = min(point.ts for point in late) - timedelta(seconds=rule.duration)
    if rule.rate_metrics:  # a rate needs its reference reading from a window before
        since -= timedelta(seconds=RATE_WINDOW_SECONDS)
    if state.fired_ts is not None and state.fired_ts >= since:
        return  # it fired inside the stretch to replay: what a replay would find there was raised (never twice)
    until = max(datetime.fromisoformat(entry[1]) for entry in state.values.values())
    replay, replayed = RuleState(values={}), _Outcome()
    for point in storage.readings_since(device_id, rule.metrics, since, until):
        _step(rule, replay, point, replayed)
    if not replayed.triggers:
        return
    outcome.triggers.append(replayed.triggers[-1])
    state.fired_ts = replayed.triggers[-1][0]
    if replay.triggered:
        state.triggered, state.pending_since = True, replay.pending_since
        outcome.cleared_at = None
    else:  # the episode is over: it happened, and it ended
        outcome.cleared_at, outcome.cleared_value = replayed.cleared_at, replayed.cleared_value


class _DeviceCache:
    """Device type and block per device id, kept a minute (they change rarely; a stale minute is harmless)."""

    ttl = 60.0

    def __init__(self) -> None:
        self._rows: dict[int, tuple[float, dict]] = {}

    def get(self, ids: set[int]) -> dict[int, dict]:
        now = time.monotonic()
        found = {pk: row for pk, (at, row) in ((pk, self._rows.get(pk, (0.0, None))) for pk in ids)
                 if row is not None and now - at < self.ttl}  # fmt: skip
        missing = ids - found.keys()
        if missing:
            for row in Device.objects.filter(id__in=missing).values("id", "device_type_id", "apartment_id"):
                self._rows[row["id"]] = (now, row)
                found[row["id"]] = row
        if len(self._rows) > 200_000:
            self._rows.clear()
        return found


device_cache = _DeviceCache()
# Latest value per (device, metric) that a rule reads, seen by this process: [value, epoch seconds, rate per minute,
# reference value, reference epoch seconds], the quick test of whether a reading can matter at all (``RuleState``
# keeps the same with UTC ISO times: see ``_as_state_entry``). The database state stays the truth for everything
# that does matter.
_seen: dict[tuple[int, str], list] = {}


def forget_process_state() -> None:
    """Drop everything this process keeps in memory (what a restart does); the database state stays."""
    rule_cache.invalidate()
    device_cache._rows.clear()
    _seen.clear()


def _remember(point: Point, before: dict[tuple[int, str], list | None]) -> list:
    """Learn ``point`` (``_advance`` in epoch seconds: this runs for every reading a rule reads); answer what
    this process now holds for its (device, metric)."""
    key = (point.device_id, point.metric)
    previous = _seen.get(key)
    if key not in before:
        before[key] = previous
    ts = point.ts.timestamp()
    if previous is not None and previous[1] >= ts:
        return previous
    entry = _advance(previous, point.value, ts, ts - previous[4] if previous is not None else 0.0)
    if len(_seen) > 500_000:
        _seen.clear()
    _seen[key] = entry
    return entry


def _as_state_entry(seen: list) -> list:
    """A ``_seen`` entry in ``RuleState.values``' form (UTC ISO times)."""
    return [seen[0], _iso(datetime.fromtimestamp(seen[1], UTC)), seen[2], seen[3],
            _iso(datetime.fromtimestamp(seen[4], UTC))]  # fmt: skip


def _warm_rates(points: list[Point], devices: dict[int, dict], *, ahead: bool = False) -> None:
    """A rate needs an earlier reading. A process that has not seen this (device, metric) yet (it just started)
    takes as its reference the last stored reading at least RATE_WINDOW_SECONDS older than its first point, so
    that point's rate is measured at once, as a warm process would: a jump across a worker restart (the old
    process stored the 30 °C readings and died, the new one gets the 95 °C ones) is still seen. Once per key.

    The alarm queue's worker (``ahead``) sees a device only now and then: what it saw of it last may be hours old
    while the telemetry worker stored the readings since; there a stale memory counts as none (newer stored wins)."""
    cold: dict[tuple[int, str], datetime] = {}
    looked: set[tuple[int, str]] = set()
    rate_metrics = rule_cache.rate_metrics()
    for point in points:  # sorted by device and time: the first point of a key is its earliest
        if point.metric not in rate_metrics:
            continue
        key = (point.device_id, point.metric)
        if key in looked or point.device_id not in devices:
            continue
        looked.add(key)
        seen = _seen.get(key)
        if seen is not None and (not ahead or seen[1] >= point.ts.timestamp() - 2 * RATE_WINDOW_SECONDS):
            continue
        device = devices[point.device_id]
        rules = rules_for_device(device["device_type_id"], device["apartment_id"], device["id"])
        if any(point.metric in rule.rate_metrics for rule in rules):
            cold[key] = point.ts - timedelta(seconds=RATE_WINDOW_SECONDS)
    for key, (ts, value) in storage.readings_before(cold).items():
        held = _seen.get(key)
        epoch = ts.timestamp()
        if held is None or held[1] < epoch:
            _seen[key] = [value, epoch, None, value, epoch]


def _meets(rule: CompiledRule, metric: str, current: list) -> bool:
    """Whether one of ``rule``'s conditions on ``metric`` holds for the value (and rate) this process saw last."""
    for cond in rule.conditions_on[metric]:
        if cond.met(current[0], current[2]):
            return True
    return False


def _may_fire(rule: CompiledRule, device_id: int) -> bool:
    results = []
    for cond in rule.conditions:
        current = _seen.get((device_id, cond.metric))
        results.append(bool(current is not None and cond.met(current[0], current[2])))
    return any(results) if rule.combine == AlertRule.Combine.ANY else bool(results) and all(results)


def evaluate_points(
    points: Iterable[Point],
    *,
    late: Set[tuple[int, str]] = frozenset(),
    ahead: bool = False,
    retried: Set[tuple[int, str]] = frozenset(),
    now: datetime | None = None,
) -> list[int]:
    """Run the rules over a committed batch of readings; answer the ids of alarms raised or changed.

    Quick path: a reading that meets no condition, on a (device, rule) whose stored state is idle (not
    firing, no duration running), changes nothing and writes nothing. Everything else goes through the
    locked ``RuleState`` rows, in device-time order.

    Alarms first (sensors/hooks.py): a batch from the alarm queue (``ahead``) went ahead of the device's telemetry
    still in the backlog, so its duration and rate rules write their state even when idle; when those older
    readings arrive (``late``: the (device, metric) of which a newer reading was stored first), a rule whose state
    went past them replays the stored readings in time order (``_replay_late``). ``retried``: the late keys of a
    batch retried after its rules died with the database; its ordered rules are judged even when idle.
    """
    points = sorted(points, key=lambda p: (p.device_id, p.ts))
    if not points:
        return []
    devices = device_cache.get({p.device_id for p in points})
    _warm_rates(points, devices, ahead=ahead)
    before: dict[tuple[int, str], list | None] = {}
    try:
        return _evaluate(points, devices, before, late=late, ahead=ahead, retried=retried, now=now)
    except BaseException:
        _rewind(before)
        raise


def _rewind(before: dict[tuple[int, str], list | None]) -> None:
    """Forget what a batch whose evaluation failed (the database went away) taught this process: the batch is
    retried, and its readings must then be stepped through again, not found already past."""
    for key, previous in before.items():
        if previous is None:
            _seen.pop(key, None)
        else:
            _seen[key] = previous


def _evaluate(
    points: list[Point],
    devices: dict[int, dict],
    before: dict[tuple[int, str], list | None],
    *,
    late: Set[tuple[int, str]],
    ahead: bool,
    retried: Set[tuple[int, str]],
    now: datetime | None,
) -> list[int]:
    relevant: dict[tuple[int, int], tuple[CompiledRule, list[Point]]] = {}
    candidates: set[tuple[int, int]] = set()
    earliest_late: datetime | None = None
    # Per device, once per batch: its rules by the metric they read (profiled: looking the rules up per point was
    # ~10 % of the worker, testing every rule on every point a quarter; a metric no rule reads costs one lookup).
    rules_of: dict[int, dict[str, list[CompiledRule]]] = {}
    for point in points:
        device_id = point.device_id
        by_metric = rules_of.get(device_id)
        if by_metric is None:
            device = devices.get(device_id)
            by_metric = rules_of[device_id] = rule_cache.by_metric(device) if device is not None else {}
        metric_rules = by_metric.get(point.metric)
        if not metric_rules:
            continue
        current = _remember(point, before)
        is_late = bool(late) and (device_id, point.metric) in late
        is_retried = bool(retried) and (device_id, point.metric) in retried
        for rule in metric_rules:
            key = (device_id, rule.id)
            held = relevant.get(key)
            if held is None:
                relevant[key] = (rule, [point])
            else:
                held[1].append(point)
            ordered = bool(rule.duration or rule.rate_metrics)  # rules that need the readings in order
            if is_late and ordered:
                earliest_late = point.ts if earliest_late is None else min(earliest_late, point.ts)
            if key in candidates:
                continue
            # A rule not yet busy can only start to hold through a condition on this point's metric (the
            # others' values did not change here): test that one first, the whole rule only when it holds.
            # (Profiled: _may_fire on every point and rule was a quarter of the ingest worker's time.)
            # A retried batch's reading (its rules died with the database) is judged by an ordered rule even
            # when the rule looks idle: the process that took the later readings meanwhile may have passed a
            # fast rise or a long episode without writing anything. (Not every late reading: two workers
            # taking one device's backlog out of order would then replay every idle rule, each with a query.)
            if (ordered and (ahead or is_retried)) or (
                _meets(rule, point.metric, current) and _may_fire(rule, device_id)
            ):
                candidates.add(key)
    if not relevant:
        return []
    # The rules this batch cannot start may still be busy (holding, counting a duration, past late readings): ask
    # the database about those only; an alarm-bearing batch whose every rule is a candidate asks nothing.
    undecided = [key for key in relevant if key not in candidates]
    busy: set[tuple[int, int]] = set()
    if undecided:
        watched = Q(triggered=True) | Q(pending_since__isnull=False)
        if earliest_late is not None:  # an idle state that went past these readings (the alarm queue went ahead)
            watched |= Q(last_ts__gt=earliest_late)
        busy = set(
            RuleState.objects.filter(device_id__in={d for d, _ in undecided}, rule_id__in={r for _, r in undecided})
            .filter(watched)
            .values_list("device_id", "rule_id")
        )
    work = {key: relevant[key] for key in relevant if key in candidates or key in busy}
    if not work:
        return []
    changed: list[int] = []
    with transaction.atomic():
        states = _lock_states(work.keys())
        outcomes: list[tuple[CompiledRule, int, _Outcome]] = []
        for (device_id, rule_id), (rule, rule_points) in work.items():
            state = states[(device_id, rule_id)]
            for metric in rule.metrics:  # what this process saw before the batch may be newer than the row
                seen = before.get((device_id, metric), _seen.get((device_id, metric)) if (device_id, metric) not in
                                  before else None)  # fmt: skip
                stored = state.values.get(metric)
                if seen is not None and (stored is None or seen[1] > datetime.fromisoformat(stored[1]).timestamp()):
                    state.values[metric] = _as_state_entry(seen)
            outcome = _Outcome()
            skipped = [point for point in rule_points if not _step(rule, state, point, outcome)]
            if skipped and (rule.duration or rule.rate_metrics) and not state.triggered:
                _replay_late(rule, device_id, state, skipped, outcome)
            if skipped:  # an out-of-order reading can still be the incident's worst: the peak must see it
                shown_metric = rule.conditions[0].metric if rule.conditions else None
                outcome.late = [(p.ts, p.value) for p in skipped if shown_metric is None or p.metric == shown_metric]
            outcomes.append((rule, device_id, outcome))
        _states_save(list(states.values()))
        for rule, device_id, outcome in outcomes:
            changed.extend(_apply(rule, devices[device_id], outcome, now=now))
    return changed


def _lock_states(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], RuleState]:
    """Lock (creating when missing) the state rows, always in id order so two workers cannot deadlock."""
    keys = list(keys)
    states = {(s.device_id, s.rule_id): s for s in _states_locked(keys)}
    missing = sorted(key for key in keys if key not in states)
    if missing:
        for s in _states_created(missing):
            states[(s.device_id, s.rule_id)] = s
    return states


# On PostgreSQL the keys travel as two arrays (profiled: the ORM's OR of (device, rule) pairs cost more Python than
# the alarm it was for; a CASE per row and field in bulk_update a quarter of an alarm's worker time).
_LOCK_PG = """
SELECT s.* FROM alerts_rulestate s JOIN unnest(%s::bigint[], %s::bigint[]) AS k(device_id, rule_id)
  ON s.device_id = k.device_id AND s.rule_id = k.rule_id
ORDER BY s.id FOR UPDATE OF s
"""
# Missing states are created and locked in one statement: a row another worker created meanwhile is locked and
# answered as it is (the no-op update), so the caller sees every key (profiled: a fifth of a first alarm's rule work
# was the three queries this was before).
_CREATE_PG = """
INSERT INTO alerts_rulestate (device_id, rule_id, triggered, "values", updated_at)
SELECT k.device_id, k.rule_id, false, '{}'::jsonb, now()
FROM unnest(%s::bigint[], %s::bigint[]) AS k(device_id, rule_id)
ON CONFLICT (device_id, rule_id) DO UPDATE SET device_id = alerts_rulestate.device_id
RETURNING *
"""
_SAVE_PG = """
UPDATE alerts_rulestate AS s
SET triggered = v.triggered, pending_since = v.pending_since, fired_ts = v.fired_ts, "values" = v.vals,
    last_ts = v.last_ts
FROM unnest(%s::bigint[], %s::boolean[], %s::timestamptz[], %s::timestamptz[], %s::text[]::jsonb[],
            %s::timestamptz[]) AS v(id, triggered, pending_since, fired_ts, vals, last_ts)
WHERE s.id = v.id
"""


def _states_locked(keys: list[tuple[int, int]]) -> Iterable[RuleState]:
    if connection.vendor != "postgresql":
        return RuleState.objects.select_for_update().filter(_any_key(keys)).order_by("id")
    return RuleState.objects.raw(_LOCK_PG, [[d for d, _ in keys], [r for _, r in keys]])


def _states_created(keys: list[tuple[int, int]]) -> Iterable[RuleState]:
    """Create the states of ``keys`` (in key order, so two workers lock them in the same order) and lock them."""
    if connection.vendor != "postgresql":
        RuleState.objects.bulk_create([RuleState(device_id=d, rule_id=r) for d, r in keys], ignore_conflicts=True)
        return _states_locked(keys)
    return RuleState.objects.raw(_CREATE_PG, [[d for d, _ in keys], [r for _, r in keys]])


def _states_save(states: list[RuleState]) -> None:
    """Write the stepped states (in the transaction that locked them)."""
    if connection.vendor != "postgresql":
        RuleState.objects.bulk_update(states, ["triggered", "pending_since", "fired_ts", "values", "last_ts"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _SAVE_PG,
            [
                [s.id for s in states],
                [s.triggered for s in states],
                [s.pending_since for s in states],
                [s.fired_ts for s in states],
                [json.dumps(s.values) for s in states],
                [s.last_ts for s in states],
            ],
        )


def _siblings_firing(rule: CompiledRule, device: dict) -> bool:
    """Whether another rule of the same incident is still firing on the device (its alarm then stays uncleared)."""
    others = [
        r.id
        for r in rules_for_device(device["device_type_id"], device["apartment_id"], device["id"])
        if r.incident == rule.incident and r.id != rule.id
    ]
    return (
        bool(others) and RuleState.objects.filter(device_id=device["id"], rule_id__in=others, triggered=True).exists()
    )


def _apply(rule: CompiledRule, device: dict, outcome: _Outcome, *, now: datetime | None) -> list[int]:
    changed: list[int] = []
    lower_is_worse = bool(rule.conditions) and rule.conditions[0].lower_is_worse
    unit_of = rule_cache.units

    def firing(metric: str) -> alarms.Firing:
        return alarms.Firing(
            rule_id=rule.id,
            incident=rule.incident,
            device_id=device["id"],
            apartment_id=device["apartment_id"],
            severity=rule.severity,
            title=rule.name,
            metric=metric,
            unit=unit_of.get((device["device_type_id"], metric), ""),
            reopen_after=rule.reopen_after,
            lower_is_worse=lower_is_worse,
        )

    for at, value, metric in outcome.triggers:
        alert = alarms.alarm_trigger(firing=firing(metric), value=value, at=at, now=now)
        if alert is not None:
            changed.append(alert.id)
    if outcome.holds:
        at, value, metric = outcome.holds[-1]
        values = [v for _, v, _ in outcome.holds if v is not None]
        worst = (min(values) if lower_is_worse else max(values)) if values else None
        alert = alarms.alarm_hold(firing=firing(metric), value=value, worst=worst, at=at, now=now)
        if alert is not None:
            changed.append(alert.id)
    if outcome.late:
        alarms.alarm_note_late(incident=rule.incident, device_id=device["id"], readings=outcome.late,
                               lower_is_worse=lower_is_worse)  # fmt: skip
    if outcome.cleared_at is not None:
        alert = (
            None
            if _siblings_firing(rule, device)
            else alarms.alarm_clear(
                incident=rule.incident, device_id=device["id"], at=outcome.cleared_at, value=outcome.cleared_value
            )
        )
        if alert is not None:
            changed.append(alert.id)
    return changed


def evaluate_status(*, device_ids: Iterable[int], online: bool, at: datetime) -> list[int]:
    """Devices went offline (raise their offline rules' alarms) or came back (clear them).

    Devices come back by the hundred (a block's power returns, the platform starts): only those whose offline
    alarm is on have anything to clear, found with one query; the rest cost nothing more.
    """
    devices = device_cache.get(set(device_ids))
    work: dict[tuple[int, int], CompiledRule] = {}
    for device in devices.values():
        for rule in rules_for_device(device["device_type_id"], device["apartment_id"], device["id"]):
            if rule.offline:
                work[(device["id"], rule.id)] = rule
    if online and work:
        firing: set[tuple[int, int]] = set()
        for chunk in _chunks(list(work), 500):
            firing.update(RuleState.objects.filter(_any_key(chunk), triggered=True).values_list("device_id", "rule_id"))
        work = {key: rule for key, rule in work.items() if key in firing}
    changed: list[int] = []
    for chunk in _chunks(sorted(work), 500):
        with transaction.atomic():
            states = _lock_states(chunk)
            for key in chunk:
                state, rule, device = states[key], work[key], devices[key[0]]
                outcome = _Outcome()
                if not online and not state.triggered:
                    state.triggered = True
                    outcome.triggers.append((at, None, ""))
                elif online and state.triggered:
                    state.triggered = False
                    outcome.cleared_at = at
                else:
                    continue
                state.save(update_fields=["triggered", "updated_at"])
                changed.extend(_apply(rule, device, outcome, now=None))
    return changed


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _any_key(keys: Iterable[tuple[int, int]]) -> Q:
    condition = Q()
    for device_id, rule_id in keys:
        condition |= Q(device_id=device_id, rule_id=rule_id)
    return condition
