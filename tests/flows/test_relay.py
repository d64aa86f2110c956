"""The Hubble Relay client against kubewhy's own replay server over real gRPC, plain and TLS."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.toolset import call_tool
from devkit.flow_synth import dns_l7, make_flow
from devkit.replay_server import ReplayServer
from tests.flows.flow_builders import CHECKOUT, COREDNS, NOW, POSTGRES, WEB, write_flows
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.flows.connect import open_flow_source
from tools.flows.files import FileFlowSource
from tools.flows.filters import FlowFilter
from tools.flows.relay import RelayFlowSource, build_request
from tools.flows.source import FlowSourceError


def recorded_flows() -> list[dict]:
    flows = []
    for minute in range(30, 0, -1):
        moment = NOW - dt.timedelta(minutes=minute)
        flows.append(make_flow(moment, WEB, POSTGRES, destination_port=5432, flags=("SYN",)))
        flows.append(
            make_flow(
                moment, CHECKOUT, POSTGRES, verdict="DROPPED", destination_port=5432, direction="INGRESS"
            )
        )
        if minute % 10 == 0:
            flows.append(
                make_flow(
                    moment,
                    COREDNS,
                    CHECKOUT,
                    protocol="UDP",
                    source_port=53,
                    destination_port=41000,
                    l7=dns_l7("postgress.data.svc.cluster.local.", 3),
                    is_reply=True,
                )
            )
    return flows


@pytest.fixture(scope="module")
def flows_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_flows(tmp_path_factory.mktemp("relay") / "flows.jsonl", recorded_flows())


@pytest.fixture(scope="module")
def plain_server(flows_file: Path) -> Iterator[ReplayServer]:
    with ReplayServer(FileFlowSource([flows_file])) as server:
        yield server


@pytest.fixture
def relay(plain_server: ReplayServer) -> Iterator[RelayFlowSource]:
    source = RelayFlowSource(plain_server.address, timeout_s=10)
    yield source
    source.close()


def test_flows_arrive_in_the_same_shape_as_the_files(relay: RelayFlowSource, flows_file: Path) -> None:
    from_files = list(FileFlowSource([flows_file]).iter_flows())
    from_relay = list(relay.iter_flows())
    assert len(from_relay) == len(from_files) == 63
    assert from_relay == from_files


def test_whitelist_blacklist_and_window_are_honoured(relay: RelayFlowSource) -> None:
    drops = list(relay.iter_flows([FlowFilter(verdict=["DROPPED"])]))
    assert len(drops) == 30
    assert all(flow["verdict"] == "DROPPED" for flow in drops)
    either = list(relay.iter_flows([FlowFilter(verdict=["DROPPED"]), FlowFilter(protocol=["dns"])]))
    assert len(either) == 33
    not_dns = list(relay.iter_flows(exclude=[FlowFilter(source_pod=["kube-system/"])]))
    assert len(not_dns) == 60
    recent = list(relay.iter_flows(since=NOW - dt.timedelta(minutes=10, seconds=1), until=NOW))
    assert len(recent) == 21  # minutes 10..1, two flows each, plus the DNS answer at minute 10


def test_number_keeps_the_last_or_first_flows(relay: RelayFlowSource) -> None:
    last = list(relay.iter_flows([FlowFilter(verdict=["FORWARDED"], protocol=["tcp"])], limit=3))
    assert len(last) == 3
    assert last[-1]["time"] == make_flow(NOW - dt.timedelta(minutes=1), WEB, POSTGRES)["time"]
    first = list(relay.iter_flows(limit=2, first=True))
    assert [flow["time"][:16] for flow in first] == ["2026-11-20T09:00", "2026-11-20T09:00"]


def test_request_carries_every_field() -> None:
    request = build_request(
        [FlowFilter(source_pod=["shop/"], verdict=["DROPPED"])],
        NOW - dt.timedelta(hours=1),
        NOW,
        100,
        exclude=[FlowFilter(destination_port=["53"])],
    )
    assert request.number == 100 and not request.follow and not request.first
    assert list(request.whitelist[0].source_pod) == ["shop/"]
    assert request.whitelist[0].verdict == [2]  # flow.Verdict.DROPPED on the wire
    assert list(request.blacklist[0].destination_port) == ["53"]
    assert request.until.ToDatetime(tzinfo=dt.UTC) == NOW


def test_server_status(relay: RelayFlowSource) -> None:
    status = relay.server_status()
    assert status["num_flows"] == "63"  # uint64 in protobuf JSON
    assert status["version"] == "kubewhy-replay"


def test_tools_read_the_relay(plain_server: ReplayServer) -> None:
    source = open_flow_source(Settings(hubble_address=plain_server.address))
    assert isinstance(source, RelayFlowSource)
    ctx = ToolContext(settings=Settings(), flows=source, fixed_now=NOW)
    result = call_tool(ctx, "flows_drops", {"namespace": "data"})
    assert result.ok, result.error
    assert result.data["total"] == 30
    assert result.data["pairs"][0]["source"] == "shop/checkout"
    assert "Hubble Relay 127.0.0.1:" in result.text
    source.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_relay_is_a_clear_error() -> None:
    address = f"127.0.0.1:{_free_port()}"
    relay = RelayFlowSource(address, timeout_s=5)
    with pytest.raises(FlowSourceError, match=f"Hubble Relay at {address} is unreachable"):
        list(relay.iter_flows())
    ctx = ToolContext(settings=Settings(), flows=relay, fixed_now=NOW)
    result = call_tool(ctx, "flows_query", {})
    assert not result.ok
    assert "unreachable" in result.error and "port-forward" in result.error


def test_bad_address_and_ca_file() -> None:
    with pytest.raises(FlowSourceError, match="host:port"):
        RelayFlowSource("hubble-relay")
    with pytest.raises(FlowSourceError, match="cannot read Hubble CA file"):
        RelayFlowSource("127.0.0.1:4245", tls=True, ca_file="/nonexistent/ca.pem")


def _self_signed(directory: Path) -> tuple[bytes, bytes, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hubble-relay.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hubble-relay.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(cert_pem)
    return cert_pem, key_pem, ca_file


def test_tls(tmp_path: Path, flows_file: Path) -> None:
    cert, key, ca_file = _self_signed(tmp_path)
    with ReplayServer(FileFlowSource([flows_file]), tls_cert=cert, tls_key=key) as server:
        relay = RelayFlowSource(server.address, tls=True, ca_file=ca_file, server_name="hubble-relay.test")
        assert len(list(relay.iter_flows([FlowFilter(verdict=["DROPPED"])], limit=5))) == 5
        relay.close()
        untrusted = RelayFlowSource(server.address, tls=True, server_name="hubble-relay.test", timeout_s=5)
        with pytest.raises(FlowSourceError, match="unreachable"):
            list(untrusted.iter_flows())
        untrusted.close()
        plain = RelayFlowSource(server.address, tls=False, timeout_s=5)
        with pytest.raises(FlowSourceError, match="unreachable"):
            list(plain.iter_flows())
        plain.close()
