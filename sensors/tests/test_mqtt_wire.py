"""The consumer's MQTT 5 client (sensors/mqtt_wire.py): its parser on packets split anywhere, its answers to a
broker that refuses, goes quiet or hangs up (a local server speaking MQTT that checks every byte the client sends),
and the real Mosquitto delivering MQTT 5 messages with properties."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from conftest import require_service
from sensors.mqtt import broker
from sensors.mqtt_wire import ProtocolError, WireClient, _length, parse, puback_packets
from tests.faults.servers import Mosquitto, free_port, wait_until


def publish_packet(topic: str, payload: bytes, *, packet_id: int = 0, properties: bytes = b"", dup: bool = False):
    qos = 1 if packet_id else 0
    body = struct.pack("!H", len(topic.encode())) + topic.encode()
    if packet_id:
        body += struct.pack("!H", packet_id)
    body += _length(len(properties)) + properties + payload
    return bytes([0x30 | (0x08 if dup else 0) | qos << 1]) + _length(len(body)) + body


# -- the parser


def test_remaining_length_is_mqtts_variable_byte_integer():
    assert _length(0) == b"\x00"
    assert _length(127) == b"\x7f"
    assert _length(128) == b"\x80\x01"
    assert _length(16_383) == b"\xff\x7f"
    assert _length(16_384) == b"\x80\x80\x01"
    assert _length(268_435_455) == b"\xff\xff\xff\x7f"


def test_parser_gives_the_same_messages_however_the_stream_is_cut():
    user_property = b"\x26" + struct.pack("!H", 3) + b"key" + struct.pack("!H", 200) + b"v" * 200  # 208 bytes
    packets = [
        publish_packet("shijiao/d1/telemetry", b'{"values": {"wire_temp": 36.5}}', packet_id=1),
        publish_packet("shijiao/d2/telemetry", b"qos0", packet_id=0),
        publish_packet("shijiao/d3/telemetry", b"x" * 20_000, packet_id=65535, properties=user_property, dup=True),
        b"\xd0\x00",  # a PINGRESP between messages
        publish_packet("shijiao/\u8bbe\u5907/telemetry", "温度".encode(), packet_id=2, properties=b"\x01\x01"),
    ]
    stream = b"".join(packets)
    expected = [
        ("shijiao/d1/telemetry", b'{"values": {"wire_temp": 36.5}}', 1, 1),
        ("shijiao/d2/telemetry", b"qos0", 0, 0),
        ("shijiao/d3/telemetry", b"x" * 20_000, 65535, 1),
        ("shijiao/设备/telemetry", "温度".encode(), 2, 1),
    ]
    cuts = list(range(80)) + list(range(len(packets[0]) + len(packets[1]), len(stream), 997)) + [len(stream) - 1]
    for cut in cuts:
        others: list[int] = []
        buffer = bytearray()
        got = []
        for piece in (stream[:cut], stream[cut:]):
            buffer += piece
            messages, used = parse(buffer, lambda kind, _flags, _body, seen=others: seen.append(kind))
            del buffer[:used]
            got.extend(messages)
        assert got == expected, f"cut at {cut}"
        assert others == [13] and not buffer, f"cut at {cut}"


def test_parser_refuses_what_is_not_mqtt():
    with pytest.raises(ProtocolError, match="four bytes"):
        parse(bytearray(b"\x30\xff\xff\xff\xff\x01"), lambda *a: None)
    with pytest.raises(ProtocolError, match="QoS 2"):
        parse(bytearray(b"\x34\x06\x00\x01t\x00\x05\x00"), lambda *a: None)  # QoS 2 on a QoS 1 subscription
    with pytest.raises(ProtocolError, match="shorter"):
        parse(bytearray(b"\x32\x04\x00\x09ab"), lambda *a: None)  # a topic longer than the packet


def test_acknowledgements_are_mqtt5_short_pubacks_in_one_write():
    assert puback_packets([1, 258, 65535]) == b"\x40\x02\x00\x01" + b"\x40\x02\x01\x02" + b"\x40\x02\xff\xff"


# -- against a local broker that checks the client


class FakeBroker:
    """A TCP server speaking just enough MQTT 5: it records every packet the client sends and answers per script."""

    def __init__(self, *, connack: int = 0, suback: int = 1, pingresp: bool = True) -> None:
        self.connack, self.suback, self.pingresp = connack, suback, pingresp
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.packets: list[tuple[int, bytes]] = []  # (first byte, body) of every packet received, in order
        self.connections: list[socket.socket] = []
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"mqtt://user%40x:p%3Ass@127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.closing:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = bytearray()
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
                while len(buffer) >= 2:
                    length, shift, i = 0, 0, 1
                    while True:
                        length |= (buffer[i] & 0x7F) << shift
                        i += 1
                        if not buffer[i - 1] & 0x80:
                            break
                        shift += 7
                    if len(buffer) < i + length:
                        break
                    first, body = buffer[0], bytes(buffer[i : i + length])
                    del buffer[: i + length]
                    self.packets.append((first, body))
                    if first == 0x10:
                        conn.sendall(bytes([0x20, 3, 0, self.connack, 0]))
                    elif first == 0x82:
                        conn.sendall(bytes([0x90, 4]) + body[:2] + bytes([0, self.suback]))
                    elif first == 0xC0 and self.pingresp:
                        conn.sendall(b"\xd0\x00")
        except OSError:
            return

    def of_kind(self, first: int) -> list[bytes]:
        return [body for kind, body in self.packets if kind == first]

    def close(self) -> None:
        self.closing = True
        self.server.close()
        for conn in self.connections:
            hang_up(conn)


def hang_up(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)  # a FIN now, though the serving thread still waits in recv
    except OSError:
        pass
    conn.close()


@pytest.fixture
def fake():
    brokers = []

    def make(**script):
        brokers.append(FakeBroker(**script))
        return brokers[-1]

    yield make
    for made in brokers:
        made.close()


def client_for(url: str, **kwargs) -> tuple[WireClient, list]:
    received = []
    client = WireClient(
        "test-wire", topics=["$share/g/#"], url=url, on_messages=lambda messages, gen: received.append((messages, gen)),
        **kwargs,
    )  # fmt: skip
    client.reconnect_min = 0.05
    return client, received


def test_connect_and_subscribe_send_what_mqtt5_asks(fake):
    server = fake()
    subscribed = threading.Event()
    client, _ = client_for(server.url, on_subscribed=subscribed.set, keepalive=30)
    client.start()
    try:
        assert subscribed.wait(5)
        connect = server.of_kind(0x10)[0]
        assert connect[:7] == b"\x00\x04MQTT\x05"
        assert connect[7] == 0x80 | 0x40  # user name and password, no clean start: the session is kept
        assert struct.unpack("!H", connect[8:10]) == (30,)
        props_len = connect[10]
        props = connect[11 : 11 + props_len]
        assert b"\x21\xff\xff" in props  # Receive Maximum 65535
        assert b"\x11" + struct.pack("!I", 7 * 24 * 3600) in props  # the session outlives a restart by a week
        payload = connect[11 + props_len :]
        assert payload == b"\x00\x09test-wire" + b"\x00\x06user@x" + b"\x00\x04p:ss"
        subscribe = server.of_kind(0x82)[0]
        assert subscribe == b"\x00\x01\x00" + b"\x00\x0a$share/g/#" + b"\x01"  # QoS 1
    finally:
        client.stop()
    assert wait_until(lambda: server.of_kind(0xE0)), "no DISCONNECT on stop"


@pytest.mark.parametrize(
    ("script", "logged"),
    [({"connack": 0x86}, "bad user name or password (0x86)"), ({"suback": 0x87}, "not authorized (0x87)")],
)
def test_a_refusal_is_logged_by_name_never_taken_for_a_subscription_and_tried_again(fake, caplog, script, logged):
    server = fake(**script)
    subscribed = threading.Event()
    client, _ = client_for(server.url, on_subscribed=subscribed.set)
    with caplog.at_level(logging.ERROR, logger="sensors.mqtt_wire"):
        client.start()
        try:
            assert wait_until(lambda: len(server.of_kind(0x10)) >= 2), "it did not try again"
        finally:
            client.stop()
    assert not subscribed.is_set()
    assert logged in caplog.text


def test_acks_go_only_to_the_connection_that_delivered(fake):
    server = fake()
    client, received = client_for(server.url)
    client.start()
    try:
        assert wait_until(lambda: server.of_kind(0x82))
        conn = server.connections[0]
        conn.sendall(
            publish_packet("shijiao/a/telemetry", b"1", packet_id=7) + publish_packet("shijiao/a/x", b"2", packet_id=8)
        )
        assert wait_until(lambda: sum(len(m) for m, _ in received) == 2)
        generation = received[0][1]
        assert client.ack([7, 8], generation)
        assert wait_until(lambda: server.of_kind(0x40) == [b"\x00\x07", b"\x00\x08"])
        hang_up(conn)  # the connection is lost: packet ids of it mean nothing on the next
        assert wait_until(lambda: len(server.connections) == 2 and client.connected.is_set())
        assert not client.ack([9], generation)
        assert client.ack([9], client.generation)
        assert wait_until(lambda: server.of_kind(0x40)[-1:] == [b"\x00\x09"])
    finally:
        client.stop()


def test_keep_alive_pings_and_a_silent_broker_is_left(fake):
    server = fake(pingresp=False)
    client, _ = client_for(server.url, keepalive=1)
    client.start()
    try:
        assert wait_until(lambda: server.of_kind(0xC0), timeout=5), "no PINGREQ after half the keep-alive"
        assert wait_until(lambda: len(server.of_kind(0x10)) >= 2, timeout=8), "an unanswered ping did not end it"
    finally:
        client.stop()


def test_a_broker_disconnect_is_logged_with_its_reason_and_the_client_comes_back(fake, caplog):
    server = fake()
    client, _ = client_for(server.url)
    with caplog.at_level(logging.WARNING, logger="sensors.mqtt_wire"):
        client.start()
        try:
            assert wait_until(lambda: server.of_kind(0x82))
            server.connections[0].sendall(b"\xe0\x01\x8e")
            assert wait_until(lambda: len(server.of_kind(0x82)) >= 2)
        finally:
            client.stop()
    assert "session taken over (0x8E)" in caplog.text


# -- against the real Mosquitto


@pytest.mark.integration
def test_mosquitto_delivers_mqtt5_messages_with_properties_intact(settings):
    where = broker(settings.TEST_MQTT_URL)
    try:
        socket.create_connection((where.host, where.port), timeout=1).close()
        up = True
    except OSError:
        up = False
    require_service("Mosquitto", up)
    tag = uuid.uuid4().hex[:8]
    received = []
    subscribed = threading.Event()
    client = WireClient(
        f"test-wire-{tag}", topics=[f"wire/{tag}/#"], url=settings.TEST_MQTT_URL, persistent=False,
        on_messages=lambda messages, gen: received.extend((m, gen) for m in messages), on_subscribed=subscribed.set,
    )  # fmt: skip
    client.start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-wire-pub-{tag}", protocol=mqtt.MQTTv5)
    pub.connect(where.host, where.port)
    pub.loop_start()
    try:
        assert subscribed.wait(5)
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = [("k", "v" * 300)]
        props.ContentType = "application/json"
        big = b"{" + b" " * 200_000 + b"}"
        pub.publish(f"wire/{tag}/a", b'{"values": {"t": 1}}', qos=1, properties=props).wait_for_publish(5)
        pub.publish(f"wire/{tag}/b", big, qos=1).wait_for_publish(5)
        pub.publish(f"wire/{tag}/c", b"zero", qos=0).wait_for_publish(5)
        assert wait_until(lambda: len(received) == 3)
        (first, gen), (second, _), (third, _) = received
        assert first[:2] == (f"wire/{tag}/a", b'{"values": {"t": 1}}') and first[3] == 1
        assert second[:2] == (f"wire/{tag}/b", big)
        assert third == (f"wire/{tag}/c", b"zero", 0, 0)
        assert client.ack([first[2], second[2]], gen)
    finally:
        pub.disconnect()
        pub.loop_stop()
        client.stop()


def _certificates(folder) -> tuple[str, str, str]:
    """A CA and a server certificate for 127.0.0.1 signed by it (PEM files); answers (ca, cert, key) paths."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tuple(str(p) for p in paths)


@pytest.fixture
def tls_broker(tmp_path):
    """A Mosquitto with a TLS listener only (mqtts://), its certificate signed by a CA of the test's own."""
    ca, cert, key = _certificates(tmp_path)
    server = Mosquitto(tmp_path, port=free_port(18831), extra=f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n")
    server.start()
    try:
        yield f"mqtts://127.0.0.1:{server.port}", ca
    finally:
        server.stop()


@pytest.mark.integration
def test_over_tls_it_checks_the_brokers_certificate_and_receives(tls_broker, caplog, settings):
    url, ca = tls_broker
    tag = uuid.uuid4().hex[:8]
    received = []
    subscribed = threading.Event()
    stranger = WireClient("test-tls-stranger", topics=["tls/#"], url=url, persistent=False, on_messages=print)
    settings.MQTT_CA_FILE = ca  # the platform's setting for a private CA
    client = WireClient(
        f"test-tls-{tag}", topics=["tls/#"], url=url, persistent=False,
        on_messages=lambda messages, gen: received.extend((m, gen) for m in messages), on_subscribed=subscribed.set,
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="sensors.mqtt_wire"):
        client.start()
        stranger.start()  # trusts only the system's CAs: the broker's certificate is refused
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-tls-pub-{tag}", protocol=mqtt.MQTTv5)
        pub.tls_set(ca_certs=ca)
        pub.connect("127.0.0.1", broker(url).port)
        pub.loop_start()
        try:
            assert subscribed.wait(10), "no subscription over TLS"
            for n in range(300):  # more than one TLS record's worth: the reader must drain what SSL holds
                pub.publish(f"tls/{n}", b'{"values": {"t": %d}}' % n, qos=1)
            assert wait_until(lambda: len(received) == 300)
            assert [m[0] for m, _ in received] == [f"tls/{n}" for n in range(300)]
            gen = received[0][1]
            assert client.ack([m[2] for m, _ in received], gen)
            assert wait_until(lambda: "certificate verify failed" in caplog.text.lower())
            assert not stranger.connected.is_set()
        finally:
            pub.disconnect()
            pub.loop_stop()
            client.stop()
            stranger.stop()
