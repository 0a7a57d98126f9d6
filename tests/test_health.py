"""/healthz tells the truth: each part it checks, 503 naming what is down, and what does not apply when embedded."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from conftest import process_env, require_redis, require_service, start_asgi_server
from shijiao.health import BEAT, INGEST, _key, beat_record, expected_queues, worker_part

ROOT = Path(__file__).resolve().parent.parent


def worker_parts() -> list[str]:
    return [worker_part(queue) for queue in expected_queues()]


@pytest.fixture
def production_shape(settings):
    """Celery for real and an MQTT consumer expected, heartbeats kept in this process's cache."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.MQTT_URL = "mqtt://127.0.0.1:1883"
    settings.CELERY_BROKER_URL = settings.TEST_REDIS_URL
    cache.clear()
    yield settings
    cache.clear()


@pytest.mark.django_db
def test_it_is_ok_when_every_part_beats(client, production_shape):
    require_redis(production_shape.TEST_REDIS_URL)
    for part in (*worker_parts(), BEAT, INGEST):
        beat_record(part, "here")
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok" and body["down"] == []
    assert body["checks"]["database"]["status"] == "ok" and body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["worker:alarms"]["detail"].endswith("(here)")


@pytest.mark.django_db
def test_it_answers_503_naming_the_parts_without_a_heartbeat(client, production_shape):
    require_redis(production_shape.TEST_REDIS_URL)
    beat_record(BEAT)
    beat_record(worker_part("celery"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["worker:alarms", INGEST]  # each queue needs a live worker of its own
    assert response.json()["checks"]["worker:alarms"]["detail"] == "no heartbeat yet"


@pytest.mark.django_db
def test_a_heartbeat_older_than_the_limit_is_down(client, production_shape):
    require_redis(production_shape.TEST_REDIS_URL)
    for part in (*worker_parts(), BEAT, INGEST):
        beat_record(part)
    old = (timezone.now() - timedelta(seconds=production_shape.HEALTH_STALE_SECONDS + 5)).isoformat()
    cache.set(_key(BEAT), {"at": old, "who": "beat-host"})
    body = client.get("/healthz").json()
    assert body["down"] == [BEAT]
    assert "more than 60 s" in body["checks"][BEAT]["detail"] and "beat-host" in body["checks"][BEAT]["detail"]


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_is_named(client, production_shape):
    for part in (*worker_parts(), BEAT, INGEST):
        beat_record(part)
    production_shape.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["down"] == ["broker"]
    assert "ConnectionError" in response.json()["checks"]["broker"]["detail"]


@pytest.mark.django_db
def test_embedded_mode_says_what_does_not_apply_instead_of_ok(client, settings):
    cache.clear()
    assert settings.CELERY_TASK_ALWAYS_EAGER and "InMemory" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["embedded"] is True
    checks = body["checks"]
    assert checks["database"]["status"] == "ok"
    for part in ("channel_layer", "broker", *worker_parts(), BEAT, INGEST):
        assert checks[part]["status"] == "off" and checks[part]["detail"], part
    assert "serve --simulate" in checks[BEAT]["detail"]


# --- the production shape on the real services -------------------------------------------------


def _healthz(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def _wait_for(url: str, condition, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    status, body = _healthz(url)
    while not condition(status, body):
        if time.monotonic() > deadline:
            raise AssertionError(f"/healthz still {status} {body} after {timeout} s")
        time.sleep(0.2)
        status, body = _healthz(url)
    return body


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.integration
def test_stopping_the_worker_beat_or_consumer_turns_healthz_503_naming_it(transactional_db, settings, tmp_path):
    import socket
    import uuid

    import redis

    from sensors.consumer import forget_session

    require_redis(settings.TEST_REDIS_URL)
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
        mqtt = True
    except OSError:
        mqtt = False
    require_service("Mosquitto", mqtt)
    queue = f"health-{uuid.uuid4().hex[:8]}"
    overrides = {
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MQTT_URL": settings.TEST_MQTT_URL,
        "HEALTH_HEARTBEAT_SECONDS": "1",
        "HEALTH_STALE_SECONDS": "4",
    }
    env = {**process_env(settings.TEST_REDIS_URL), **overrides}
    python = sys.executable
    client_id = f"test-health-{uuid.uuid4().hex[:8]}"
    parts = {
        "worker": [python, "-m", "celery", "-A", "shijiao", "worker", "-c", "1", "-P", "solo",
                   "--without-mingle", "--without-gossip", "-n", f"{queue}@%h"],
        BEAT: [python, "-m", "celery", "-A", "shijiao", "beat", "--schedule", str(tmp_path / "beat-schedule")],
        INGEST: [python, "manage.py", "ingest_mqtt", "--client-id", client_id, "--no-share", "--in-process"],
    }  # fmt: skip
    processes = {
        name: subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name, cmd in parts.items()
    }
    try:
        with start_asgi_server(settings, settings.TEST_REDIS_URL, env=overrides) as server:
            body = _wait_for(server.url, lambda status, _body: status == 200)
            assert all(body["checks"][part]["status"] == "ok" for part in (*worker_parts(), BEAT, INGEST)), body

            _stop(processes["worker"])  # it consumed every queue: each is now without a worker
            # each queue's heartbeat goes stale on its own clock: wait until all of them have
            body = _wait_for(server.url, lambda status, b: status == 503 and b["down"] == worker_parts())
            assert "more than 4 s" in body["checks"]["worker:alarms"]["detail"]

            _stop(processes[BEAT])
            _stop(processes[INGEST])
            body = _wait_for(server.url, lambda status, b: set(b["down"]) == {*worker_parts(), BEAT, INGEST})
            assert body["status"] == "down"
    finally:
        for process in processes.values():
            _stop(process)
        forget_session(client_id, settings.TEST_MQTT_URL)
        # what beat queued after the worker stopped
        redis.Redis.from_url(settings.TEST_REDIS_URL).delete(*expected_queues())


def test_every_compose_service_has_a_health_check_of_its_own():
    yaml = pytest.importorskip("yaml")
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    missing = [name for name, service in services.items() if "healthcheck" not in service]
    assert missing == []
    assert services["beat"]["healthcheck"]["test"][-1] == "beat"
    assert services["ingest"]["healthcheck"]["test"][-1] == "ingest"
    assert "--no-share" in services["ingest"]["command"] and "--client-id" in services["ingest"]["command"]


@pytest.mark.django_db
def test_the_container_check_of_web_passes_on_503_from_another_part_but_not_on_a_dead_server(live_server, settings):
    from shijiao.health import web_answers

    settings.CELERY_TASK_ALWAYS_EAGER = False  # no worker heartbeat here: /healthz answers 503
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert _healthz(live_server.url)[0] == 503
    assert web_answers(live_server.url)
    assert not web_answers("http://127.0.0.1:1")


def test_compose_gives_the_cpu_to_alarms_first_then_escalations_then_telemetry():
    yaml = pytest.importorskip("yaml")
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    weight = {name: services[name].get("cpu_shares", 1024) for name in ("worker-alarms", "worker", "worker-ingest")}
    assert weight["worker-alarms"] > weight["worker"] > weight["worker-ingest"], weight
    assert "-Q alarms" in services["worker-alarms"]["command"] and "-Q ingest" in services["worker-ingest"]["command"]
