"""CertificateExpired analyzer: expired cert-manager Certificates, x509 log lines tied to the Secret or
Certificate behind the called host; valid certificates produce nothing."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import certificates
from tests.diagnose.analyzers.factories import deployment, facts, service
from tests.diagnose.analyzers.workload_factories import (
    certificate,
    culprits,
    running_status,
    tls_secret,
    workload_pod,
)

X509 = (
    '2026-11-20T09:29:55Z error calling payments: Post "https://payments.shop.svc:8443/charge": '
    "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time "
    "2026-11-20T09:29:55Z is after 2026-11-19T23:59:59Z\n"
)
PAYMENTS = workload_pod(
    "payments-6c5b4a3d2-mn3op",
    owner_rs="payments-6c5b4a3d2",
    ready=True,
    statuses=[running_status()],
    labels={"app": "payments"},
    volumes=[{"name": "tls", "secret": {"secretName": "payments-tls"}}],
)
CHECKOUT = workload_pod(
    "checkout-7d9f8c6b5-x2lqp", owner_rs="checkout-7d9f8c6b5", ready=True, statuses=[running_status()]
)
LOG_KEY = ("shop", "checkout-7d9f8c6b5-x2lqp", "app", False)
LOGS = {LOG_KEY: X509}
OLD_X509 = X509.replace("2026-11-20T09:29:55Z error", "2026-11-19T09:29:55Z error")

CASES = [
    (
        "expired Certificate, and a client log about it",
        facts(
            deployment("payments"),
            service("payments", port=8443, target_port=8443),
            PAYMENTS,
            CHECKOUT,
            tls_secret("payments-tls", "shop", "payments"),
            certificate("payments", "shop", "payments-tls", -570, ready=False),
            logs=LOGS,
        ),
        [("CertificateExpired", "Certificate", "shop", "payments")],
    ),
    (
        "x509 in logs, no cert-manager: the server's TLS Secret",
        facts(
            deployment("payments"),
            service("payments"),
            PAYMENTS,
            CHECKOUT,
            tls_secret("payments-tls", "shop"),
            logs=LOGS,
        ),
        [("CertificateExpired", "Secret", "shop", "payments-tls")],
    ),
    (
        "valid certificate, no errors",
        facts(
            PAYMENTS,
            tls_secret("payments-tls", "shop", "payments"),
            certificate("payments", "shop", "payments-tls", 60 * 24 * 60),
        ),
        [],
    ),
    (
        "old x509 line: history",
        facts(
            PAYMENTS,
            CHECKOUT,
            logs={
                LOGS.__iter__().__next__(): X509.replace(
                    "2026-11-20T09:29:55Z error", "2026-11-19T09:29:55Z error"
                )
            },
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_certificates(name, given, expected):
    assert culprits(certificates.analyze(given)) == expected


def test_expired_certificate_gathers_the_log_and_users():
    (found,) = certificates.analyze(CASES[0][1])
    assert any(cite.ref.kind == "log" for cite in found.cites)
    assert ("Deployment", "payments") in [(ref.kind, ref.name) for ref in found.affected]
    assert found.severity == 3 and found.confidence >= 0.9
