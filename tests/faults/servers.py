"""Throwaway servers for the fault tests: our own Mosquitto, Redis and PostgreSQL on other ports, in temporary
directories.

The machine's shared services (1883, 6379, 5432) are never touched: other people's tests run against them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port(preferred: int) -> int:
    """``preferred`` unless something answers there (the same fault test run by someone else at the same time),
    then a port the system hands out."""
    if not answers(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float = 30.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Mosquitto:
    """A Mosquitto of our own with persistence, so queued QoS 1 messages survive a restart."""

    def __init__(self, workdir: Path, port: int = 18830, extra: str = "") -> None:
        """``extra``: more configuration lines for the listener (e.g. its TLS certificate files)."""
        self.port = port
        self.dir = workdir / "mosquitto"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.dir}/\n"
            "max_queued_messages 100000\n"
            "max_inflight_messages 0\n"
            "user root\n"
            f"log_dest file {self.dir}/mosquitto.log\n" + extra
        )
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert not answers(self.port), f"port {self.port} is taken: another fault test is running"
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL)
        assert wait_until(lambda: answers(self.port), 10), "the throwaway Mosquitto did not start"

    def stop(self) -> None:
        """A clean stop (SIGTERM): Mosquitto writes its persistence file, as a restart by systemd would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(15)
        self.process = None

    def restart(self, down_for: float = 1.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


class Redis:
    """A Redis of our own with an append-only file (fsync on every write), so a restart keeps what it held;
    ``restart(keep_data=False)`` empties it instead (a Redis run without persistence, or one that lost its disk)."""

    def __init__(self, workdir: Path, port: int = 16379) -> None:
        self.port = port
        self.dir = workdir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert not answers(self.port), f"port {self.port} is taken: another fault test is running"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_until(lambda: answers(self.port), 10), "the throwaway Redis did not start"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(15)
        self.process = None

    def restart(self, down_for: float = 1.0, *, keep_data: bool = True) -> None:
        self.stop()
        if not keep_data:
            shutil.rmtree(self.dir)
            self.dir.mkdir()
        time.sleep(down_for)
        self.start()


def postgres_bin() -> Path | None:
    """The directory of PostgreSQL's server programs (initdb, pg_ctl): Debian keeps them off the PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Postgres:
    """A PostgreSQL cluster of our own (trust authentication) in a temporary directory, for a database server
    that goes away under load. PostgreSQL refuses to run as root: as root, its programs run as ``postgres``."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port = port or free_port(55432)
        self.bin = postgres_bin()
        assert self.bin is not None, "PostgreSQL's initdb is not installed"
        # Not under pytest's tmp_path: that is root's alone (0700) and the postgres user could not enter it.
        self.dir = Path(tempfile.mkdtemp(prefix="shijiao-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale",
                  "--no-sync")  # fmt: skip
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n")

    def _run(self, program: str, *args: str) -> None:
        as_postgres = {"user": "postgres", "group": "postgres"} if self.as_root else {}
        done = subprocess.run([str(self.bin / program), *args], cwd=self.dir, capture_output=True, text=True,
                              **as_postgres)  # fmt: skip
        assert done.returncode == 0, f"{program} failed: {done.stderr or done.stdout}{self.log_tail()}"

    def log_tail(self, chars: int = 2000) -> str:
        return "\n" + self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        assert not answers(self.port), f"port {self.port} is taken: another fault test is running"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: sessions are cut off and their open transactions rolled back, as in a restart
        for a minor-version upgrade or a changed setting."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def restart(self, down_for: float = 1.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def create_database(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def django_process(
    args: list[str], *, database: dict, env: dict[str, str], new_session: bool = False, log=None
) -> subprocess.Popen:
    """A manage.py command (consumer, Celery worker) of our own, on the test database."""
    user = database["USER"] or "postgres"
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shijiao.settings",
        "DATABASE_URL": f"postgres://{user}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/"
        f"{database['NAME']}",
        "VAR_DIR": str(ROOT / "var" / "test"),
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "MQTT_URL"):
        if name not in env:
            full_env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if log is None else log,  # a file for chatty processes: a full pipe blocks them
        start_new_session=new_session,  # a prefork Celery worker: kill_group() takes its children too
    )


def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal a process started with new_session=True and all its children (a prefork worker's pool)."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


QUIET_ENV = {  # alarm notifications go nowhere outside this machine
    "ALIYUN_SMS_ENDPOINT": "http://127.0.0.1:9/",
    "ALIYUN_VOICE_ENDPOINT": "http://127.0.0.1:9/",
    "DINGTALK_API": "http://127.0.0.1:9",
    "DINGTALK_NEW_API": "http://127.0.0.1:9",
    "WECOM_ROBOT_URL": "http://127.0.0.1:9",
}
