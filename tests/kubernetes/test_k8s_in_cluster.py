"""In-cluster mode for real: the pod's ServiceAccount token and CA, HTTPS to the API server, the guard on top.

A small TLS front (a certificate for 127.0.0.1 made here) forwards to the snapshot API server and records
what arrived, standing in for the kube-apiserver Service address that a pod sees.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import ssl
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kubernetes.config import incluster_config

from tools.kubernetes.access import KubeAccess, KubeError
from tools.kubernetes.transport import ReadOnlyViolation
from tools.snapshot.server import SnapshotServer

TOKEN = "in-cluster-sa-token-123"


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes.default.svc")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "ca.crt", directory / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class _TlsFront(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, backend: str, cert: Path, key: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.backend = backend
        self.seen: list[tuple[str, str, str | None]] = []  # method, path, Authorization
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.socket = context.wrap_socket(self.socket, server_side=True)


class _Forward(http.server.BaseHTTPRequestHandler):
    server: _TlsFront

    def do_GET(self) -> None:
        self.server.seen.append((self.command, self.path, self.headers.get("Authorization")))
        request = urllib.request.Request(self.server.backend + self.path, headers={"Accept": "*/*"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            status, content_type = response.status, response.headers.get("Content-Type", "")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def in_cluster_pod(tmp_path: Path, shop_server: SnapshotServer, monkeypatch) -> Iterator[_TlsFront]:
    """The files and environment a pod's ServiceAccount gives it, pointing at a TLS API front."""
    cert, key = _certificate(tmp_path)
    token = tmp_path / "token"
    token.write_text(TOKEN)
    front = _TlsFront(shop_server.url, cert, key)
    thread = threading.Thread(target=front.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(cert))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(front.server_address[1]))
    yield front
    front.shutdown()
    front.server_close()


def test_in_cluster_reads_with_the_service_account_over_tls(in_cluster_pod: _TlsFront):
    kube = KubeAccess.in_cluster()
    try:
        pods = kube.list_objects("pods", namespace="shop")
        assert pods and all(p["metadata"]["namespace"] == "shop" for p in pods)
        with pytest.raises(ReadOnlyViolation):  # the guard sits on the in-cluster client too
            kube.core_v1.delete_namespaced_pod(pods[0]["metadata"]["name"], "shop")
    finally:
        kube.close()
    assert in_cluster_pod.seen, "nothing reached the API server"
    assert {method for method, _, _ in in_cluster_pod.seen} == {"GET"}
    assert [auth for _, _, auth in in_cluster_pod.seen if (auth or "").lower() != f"bearer {TOKEN}"] == []


def test_outside_a_cluster_in_cluster_mode_says_so(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(KubeError, match="not running in a cluster"):
        KubeAccess.in_cluster()
