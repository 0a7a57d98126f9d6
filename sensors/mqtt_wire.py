"""The consumer's side of MQTT 5, written for one job: receive QoS 1 messages as fast as the broker sends them.

paho-mqtt (sensors/mqtt.py, which commands and the simulator keep using) spends most of the consumer's CPU on a
message: an object and an MQTT 5 ``Properties`` per PUBLISH, a lock and a queued packet per acknowledgement. Under a
backlog that made one consumer slower than the workers behind it, and an alarm-bearing message then waited in the
broker behind the telemetry (issue #19). This client does only what the consumer needs:

- CONNECT (MQTT 5: client id, user name and password, TLS for ``mqtts://``, clean start or a session kept for a week,
  Receive Maximum 65,535 so the broker streams while acknowledgements come per batch), SUBSCRIBE with QoS 1;
- PUBLISH in (QoS 0 and 1; a subscription at QoS 1 never receives QoS 2), parsed straight off the receive buffer:
  every whole packet of one ``recv`` goes to ``on_messages`` as one list;
- PUBACKs for a whole batch in one write (``ack``), only on the connection that delivered the messages (a packet
  id means nothing on the next one: the broker sends those messages again);
- PINGREQ when nothing was sent for half the keep-alive, a dead connection noticed when no answer comes within it,
  DISCONNECT either way, and reconnecting with a growing pause (0.5 s to 30 s) until ``stop``.

The broker's refusals (CONNACK, SUBACK, DISCONNECT reason codes) are logged by name; a refused subscription is
retried like a lost connection, never taken for a working one.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable

from django.conf import settings

from sensors.mqtt import broker

log = logging.getLogger(__name__)

# (topic, payload, packet id, qos); the packet id is 0 for QoS 0.
Message = tuple[str, bytes, int, int]
OnMessages = Callable[[list[Message], int], None]  # the messages of one read, and the connection's generation

REASONS = {
    0x80: "unspecified error",
    0x81: "malformed packet",
    0x82: "protocol error",
    0x83: "implementation specific error",
    0x84: "unsupported protocol version",
    0x85: "client identifier not valid",
    0x86: "bad user name or password",
    0x87: "not authorized",
    0x88: "server unavailable",
    0x89: "server busy",
    0x8A: "banned",
    0x8B: "server shutting down",
    0x8D: "keep alive timeout",
    0x8E: "session taken over",
    0x8F: "topic filter invalid",
    0x97: "quota exceeded",
    0x9C: "use another server",
    0x9D: "server moved",
    0x9E: "shared subscriptions not supported",
    0x9F: "connection rate exceeded",
    0xA2: "wildcard subscriptions not supported",
}


class ProtocolError(Exception):
    """The broker sent something this client cannot take (the connection is dropped and made again)."""


class Refused(Exception):
    """The broker refused the connection or the subscription (a reason code of 0x80 or above)."""


def reason(code: int) -> str:
    return f"{REASONS.get(code, 'reason')} (0x{code:02X})"


def _length(n: int) -> bytes:
    """MQTT's variable byte integer."""
    out = bytearray()
    while True:
        digit, n = n % 128, n // 128
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(raw)) + raw


def _packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _length(len(body)) + body


def connect_packet(
    client_id: str,
    *,
    username: str | None,
    password: str | None,
    keepalive: int,
    clean_start: bool,
    session_expiry: int,
    receive_maximum: int = 65535,
) -> bytes:
    flags = 0x02 if clean_start else 0
    payload = _string(client_id)
    if username is not None:
        flags |= 0x80
        payload += _string(username)
        if password is not None:
            flags |= 0x40
            payload += _string(password)
    props = b"\x21" + struct.pack("!H", receive_maximum)
    if session_expiry:
        props += b"\x11" + struct.pack("!I", session_expiry)
    body = _string("MQTT") + bytes([5, flags]) + struct.pack("!H", keepalive) + _length(len(props)) + props
    return _packet(0x10, body + payload)


def subscribe_packet(packet_id: int, topics: list[str], qos: int = 1) -> bytes:
    body = struct.pack("!H", packet_id) + b"\x00" + b"".join(_string(topic) + bytes([qos]) for topic in topics)
    return _packet(0x82, body)


def puback_packets(packet_ids: list[int]) -> bytes:
    """PUBACKs (success, no properties: the short form MQTT 5 allows) for ``packet_ids``, as one write."""
    return struct.pack("!" + "BBH" * len(packet_ids), *[v for pid in packet_ids for v in (0x40, 2, pid)])


PINGREQ = b"\xc0\x00"
DISCONNECT = b"\xe0\x00"


def _length_rest(buffer: bytearray, i: int, first: int) -> tuple[int, int] | None:
    """The rest of a variable byte integer whose first byte ``first`` (high bit set) came just before ``i``: its
    value and the index after it, or None when the buffer ends first. Only lengths of 128 or more come here."""
    value = first & 0x7F
    shift = 7
    while i < len(buffer):
        digit = buffer[i]
        i += 1
        value |= (digit & 0x7F) << shift
        if not digit & 0x80:
            return value, i
        shift += 7
        if shift > 21:
            raise ProtocolError("variable byte integer longer than four bytes")
    return None


def parse(buffer: bytearray, on_other: Callable[[int, int, memoryview], None]) -> tuple[list[Message], int]:
    """Parse the whole packets at the start of ``buffer``: answer the PUBLISHes in it and how many bytes were used.
    Other packets go to ``on_other(first byte, flags, body)``. An incomplete packet at the end is left for the next
    read."""
    messages: list[Message] = []
    size = len(buffer)
    pos = 0
    view = memoryview(buffer)
    try:
        while size - pos >= 2:
            first = buffer[pos]
            i = pos + 1
            length = buffer[i]
            i += 1
            if length & 0x80:  # the remaining length takes more than one byte
                read = _length_rest(buffer, i, length)
                if read is None:
                    return messages, pos
                length, i = read
            end = i + length
            if end > size:
                return messages, pos
            if first >> 4 == 3:  # PUBLISH
                qos = (first >> 1) & 3
                topic_end = i + 2 + (buffer[i] << 8 | buffer[i + 1])
                topic = str(view[i + 2 : topic_end], "utf-8", "replace")
                if qos:
                    if qos == 3 or qos == 2:
                        raise ProtocolError(f"PUBLISH at QoS {qos} on a QoS 1 subscription")
                    packet_id = buffer[topic_end] << 8 | buffer[topic_end + 1]
                    j = topic_end + 2
                else:
                    packet_id = 0
                    j = topic_end
                props = buffer[j]  # the properties' length: one byte unless 128 or more
                j += 1
                if props & 0x80:
                    read = _length_rest(buffer, j, props)
                    if read is None:
                        raise ProtocolError("PUBLISH shorter than its headers")
                    props, j = read
                j += props
                if j > end:
                    raise ProtocolError("PUBLISH shorter than its headers")
                messages.append((topic, bytes(view[j:end]), packet_id, qos))
            else:
                on_other(first >> 4, first & 0x0F, view[i:end])
            pos = end
        return messages, pos
    except IndexError as exc:
        raise ProtocolError("packet shorter than its headers") from exc
    finally:
        view.release()


class WireClient:
    """One MQTT 5 subscriber connection, kept up by a thread of its own until ``stop``.

    All reading and writing happens in that thread (an SSL connection must not be used by two threads at once):
    ``ack`` queues the acknowledgements and wakes it through a pipe."""

    reconnect_min = 0.5
    reconnect_max = 30.0
    read_size = 256 * 1024

    def __init__(
        self,
        client_id: str,
        *,
        topics: list[str],
        on_messages: OnMessages,
        url: str | None = None,
        persistent: bool = True,
        keepalive: int = 30,
        cafile: str | None = None,
        on_subscribed: Callable[[], None] | None = None,
        on_disconnect: Callable[[str], None] | None = None,
    ) -> None:
        self.client_id = client_id
        self.topics = topics
        self.on_messages = on_messages
        self.on_subscribed = on_subscribed
        self.on_disconnect = on_disconnect
        self.where = broker(url)
        self.persistent = persistent
        self.keepalive = keepalive
        self.cafile = cafile if cafile is not None else (settings.MQTT_CA_FILE or None)
        self.generation = 0  # counts connections: a packet id is only valid on the one that delivered it
        self.connected = threading.Event()  # CONNACK received on the current connection
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._acks: list[int] = []  # packet ids to acknowledge on the current connection
        self._wake_r = self._wake_w = -1  # the pipe that wakes the connection's thread (made by start)
        self._thread: threading.Thread | None = None

    # -- the caller's side
    def start(self) -> None:
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._run, name=f"mqtt-{self.client_id}", daemon=True)
        self._thread.start()

    def ack(self, packet_ids: list[int], generation: int) -> bool:
        """Acknowledge ``packet_ids`` (QoS 1) received on connection ``generation``; answer whether they were queued
        for sending. Not when that connection is gone: the broker delivers those messages again."""
        if not packet_ids:
            return True
        with self._lock:
            if generation != self.generation or not self.connected.is_set():
                return False
            self._acks.extend(packet_ids)
        self._wake()
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued and DISCONNECT, then end the thread."""
        self._stopping.set()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                return  # still closing: its pipe stays open for it
        with self._lock:
            if self._wake_w >= 0:
                os.close(self._wake_r)
                os.close(self._wake_w)
                self._wake_r = self._wake_w = -1

    def _wake(self) -> None:
        with self._lock:  # never a write to a closed (or reused) descriptor
            if self._wake_w < 0:
                return
            try:
                os.write(self._wake_w, b"!")
            except BlockingIOError:  # the pipe is full: the thread is being woken anyway
                pass

    # -- the connection's thread
    def _run(self) -> None:
        pause = self.reconnect_min
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self._session()
            except Refused as exc:
                log.error("MQTT broker %s:%s refused %s: %s", self.where.host, self.where.port, self.client_id, exc)
            except (OSError, ProtocolError) as exc:  # ssl.SSLError is an OSError
                if not self._stopping.is_set():
                    log.warning("MQTT connection of %s lost: %s; reconnecting", self.client_id, exc)
            except Exception:  # a bug in a callback must not end the connection's thread for good
                log.exception("MQTT connection of %s failed; reconnecting", self.client_id)
            finally:
                was_connected = self.connected.is_set()
                with self._lock:
                    self.generation += 1
                    self._acks.clear()  # the broker sends those messages again on the next connection
                    self.connected.clear()
                if was_connected and self.on_disconnect is not None:
                    self.on_disconnect("stopped" if self._stopping.is_set() else "connection lost")
            if time.monotonic() - started > 10:  # it had been up a while: try again soon
                pause = self.reconnect_min
            if self._stopping.wait(pause):
                return
            pause = min(self.reconnect_max, pause * 2)

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self.where.host, self.where.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.where.tls:
            context = ssl.create_default_context(cafile=self.cafile)
            sock = context.wrap_socket(sock, server_hostname=self.where.host)
        sock.setblocking(False)
        return sock

    def _session(self) -> None:
        sock = self._open()
        try:
            self._converse(sock)
        finally:
            sock.close()

    def _converse(self, sock: socket.socket) -> None:
        out = bytearray(
            connect_packet(
                self.client_id,
                username=self.where.username,
                password=self.where.password,
                keepalive=self.keepalive,
                clean_start=not self.persistent,
                session_expiry=7 * 24 * 3600 if self.persistent else 0,
            )
        )
        generation = self.generation
        buffer = bytearray()
        chunk = bytearray(self.read_size)
        last_sent = time.monotonic()
        ping_sent = 0.0  # when the unanswered PINGREQ went out, 0 when none is
        connacked = False

        def other(kind: int, _flags: int, body: memoryview) -> None:
            nonlocal connacked, ping_sent
            if kind == 2:  # CONNACK
                if len(body) < 2:
                    raise ProtocolError("CONNACK shorter than its headers")
                if body[1] >= 0x80:
                    raise Refused(f"connection: {reason(body[1])}")
                connacked = True
                with self._lock:
                    self.connected.set()
                log.info("MQTT connected as %s; subscribing %s", self.client_id, ", ".join(self.topics))
                out.extend(subscribe_packet(1, self.topics))
            elif kind == 9:  # SUBACK: packet id, properties, one reason code per topic
                if len(body) < 3:
                    raise ProtocolError("SUBACK shorter than its headers")
                codes = bytes(body[3 + body[2] :])
                failed = [code for code in codes if code >= 0x80]
                if failed or not codes:
                    raise Refused("subscription: " + ", ".join(reason(code) for code in failed or [0x80]))
                if self.on_subscribed is not None:
                    self.on_subscribed()
            elif kind == 13:  # PINGRESP
                ping_sent = 0.0
            elif kind == 14:  # DISCONNECT from the broker
                raise ProtocolError(f"the broker disconnected: {reason(body[0]) if len(body) else 'normal'}")
            elif kind not in (4, 5, 6, 7, 11):  # acknowledgements of what we never sent are ignored
                raise ProtocolError(f"unexpected packet type {kind}")

        while True:
            stopping = self._stopping.is_set()
            with self._lock:
                if self._acks and generation == self.generation:
                    out.extend(puback_packets(self._acks))
                    self._acks.clear()
            if stopping:
                out.extend(DISCONNECT)
            if out:
                try:
                    sent = sock.send(out)
                    del out[:sent]
                    last_sent = time.monotonic()
                except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                    pass
            if stopping:
                self._flush_out(sock, out)
                return
            readable, _, _ = select.select([sock, self._wake_r], [sock] if out else [], [], 1.0)
            if self._wake_r in readable:
                try:
                    os.read(self._wake_r, 4096)
                except BlockingIOError:
                    pass
            if sock in readable or (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                while True:  # everything there is now (an SSL socket may hold decrypted bytes select cannot see)
                    try:
                        got = sock.recv_into(chunk)
                    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        break
                    if got == 0:
                        raise ConnectionError("closed by the broker")
                    buffer += memoryview(chunk)[:got]
                    if got < len(chunk) and not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                        break
                messages, used = parse(buffer, other)
                if used:
                    del buffer[:used]
                if messages:
                    if not connacked:
                        raise ProtocolError("PUBLISH before CONNACK")
                    self.on_messages(messages, generation)
            now = time.monotonic()
            if ping_sent and now - ping_sent > self.keepalive:
                raise ConnectionError(f"no answer from the broker for {self.keepalive} s")
            if not ping_sent and now - last_sent >= self.keepalive / 2:
                ping_sent = now
                out.extend(PINGREQ)

    @staticmethod
    def _flush_out(sock: socket.socket, out: bytearray, timeout: float = 2.0) -> None:
        """Send what is left (the last acknowledgements and DISCONNECT) before the connection closes."""
        deadline = time.monotonic() + timeout
        while out and time.monotonic() < deadline:
            select.select([], [sock], [], max(0.0, deadline - time.monotonic()))
            try:
                del out[: sock.send(out)]
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                continue
            except OSError:
                return
