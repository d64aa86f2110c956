"""The read-only Prometheus client every Prometheus tool uses (``ctx.prometheus``).

It wraps ``prometheus_api_client.PrometheusConnect`` with three things the tools rely on:
- a fixed evaluation time (the snapshot's ``capturedAt``; the wall clock for a live cluster),
- timeouts on every call (a slow Prometheus is an error, not a hang),
- the read-only session from :mod:`tools.prometheus.guard`, so no admin endpoint is reachable.
Every failure (down, slow, HTTP error, PromQL error, refused endpoint) becomes a ``ToolError`` with one
clear sentence, which the registry turns into a tool result with ``error``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from tools.contracts.settings import Settings
from tools.contracts.tool import ToolError
from tools.prometheus.guard import ReadOnlySession, ReadOnlyViolation

DEFAULT_TIMEOUT_S = 15.0
CONNECT_TIMEOUT_S = 3.0
_T = TypeVar("_T")
_STATUS = re.compile(r"HTTP Status Code (\d+) \((.*)\)$", re.S)


class PrometheusAccess:
    """Read-only access to one Prometheus, evaluated at a fixed time in snapshot mode."""

    def __init__(
        self,
        url: str,
        *,
        fixed_time: datetime | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        headers: dict[str, str] | None = None,
        verify_tls: bool = True,
        trust_env: bool = True,
    ) -> None:
        self.url = url.rstrip("/")
        self.fixed_time = fixed_time
        self.timeout_s = timeout_s
        session = ReadOnlySession(self.url)
        session.verify = verify_tls
        session.trust_env = trust_env
        # One quick reconnect; never retry a read (a slow Prometheus must fail within the timeout).
        retry = Retry(total=1, connect=1, read=0, status=0, other=0, backoff_factor=0.1)
        self._connect = PrometheusConnect(
            url=self.url,
            headers=headers,
            session=session,
            retry=retry,
            timeout=(CONNECT_TIMEOUT_S, timeout_s),
        )

    @classmethod
    def from_settings(cls, settings: Settings, fixed_time: datetime | None = None) -> PrometheusAccess | None:
        """The live Prometheus named by ``KUBEWHY_PROMETHEUS_URL``; None when it is not set."""
        if not settings.prometheus_url:
            return None
        return cls(settings.prometheus_url, fixed_time=fixed_time)

    # --- time ----------------------------------------------------------------------------------------

    def evaluation_time(self) -> datetime:
        """The instant queries are evaluated at: the snapshot's capturedAt, or now."""
        return self.fixed_time or datetime.now(UTC)

    # --- queries -------------------------------------------------------------------------------------

    def query(self, promql: str, at: datetime | None = None) -> list[dict[str, Any]]:
        """Instant query: ``[{"metric": {...}, "value": [ts, "v"]}, ...]``."""
        when = at or self.evaluation_time()
        params = {"time": f"{when.timestamp():.3f}", "timeout": f"{self.timeout_s:g}s"}
        result = self._call(f"query {promql!r}", lambda: self._connect.custom_query(promql, params=params))
        return _as_vector(result)

    def query_range(self, promql: str, start: datetime, end: datetime, step_s: float) -> list[dict[str, Any]]:
        """Range query: ``[{"metric": {...}, "values": [[ts, "v"], ...]}, ...]``."""
        return self._call(
            f"range query {promql!r}",
            lambda: self._connect.custom_query_range(
                promql, start, end, f"{step_s:g}s", params={"timeout": f"{self.timeout_s:g}s"}
            ),
        )

    def metric_names(self, start: datetime, end: datetime) -> list[str]:
        """Every metric name with samples between start and end."""
        params = {"start": f"{start.timestamp():.3f}", "end": f"{end.timestamp():.3f}"}
        return self._call("metric names", lambda: self._connect.get_label_values("__name__", params=params))

    def series(self, match: str, start: datetime, end: datetime) -> list[dict[str, str]]:
        """Label sets of the series matching a selector between start and end."""
        return self._call(
            f"series {match!r}",
            lambda: self._connect.get_series(start, end, params={"match[]": match}),
        )

    def metadata(self, metric: str) -> list[dict[str, str]]:
        """Type/help/unit of a metric as its exporters declared them (empty for backfilled data)."""
        found = self._call(f"metadata of {metric}", lambda: self._connect.get_metric_metadata(metric))
        return found if isinstance(found, list) else []

    def alerts(self) -> list[dict[str, Any]]:
        return self._api("/api/v1/alerts").get("alerts", [])

    def rules(self) -> list[dict[str, Any]]:
        return self._api("/api/v1/rules").get("groups", [])

    def targets(self) -> list[dict[str, Any]]:
        return self._api("/api/v1/targets", {"state": "active"}).get("activeTargets", [])

    def buildinfo(self) -> dict[str, Any]:
        return self._api("/api/v1/status/buildinfo")

    def ready(self) -> bool:
        """True when Prometheus answers ``/-/ready`` with 200."""
        try:
            response = self._connect._session.get(
                f"{self.url}/-/ready", timeout=(CONNECT_TIMEOUT_S, self.timeout_s)
            )
        except requests.RequestException:
            return False
        return response.status_code == 200

    def close(self) -> None:
        self._connect.close()

    # --- plumbing ------------------------------------------------------------------------------------

    def _api(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET one of the allowed endpoints the library has no method for; return its ``data``."""

        def fetch() -> dict[str, Any]:
            response = self._connect._session.get(
                f"{self.url}{path}",
                params=params,
                headers=self._connect.headers,
                timeout=(CONNECT_TIMEOUT_S, self.timeout_s),
            )
            if response.status_code != 200:
                raise PrometheusApiClientException(
                    f"HTTP Status Code {response.status_code} ({response.content!r})"
                )
            data = response.json().get("data")
            return data if isinstance(data, dict) else {}

        return self._call(path, fetch)

    def _call(self, what: str, fetch: Callable[[], _T]) -> _T:
        try:
            return fetch()
        except ReadOnlyViolation as exc:
            raise ToolError(f"Prometheus read-only guard: {exc}") from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            if not _timed_out(exc):
                raise ToolError(f"Prometheus at {self.url} is not reachable (connection failed)") from None
            raise ToolError(
                f"Prometheus at {self.url} did not answer {what} within {self.timeout_s:g}s; "
                "narrow the query (label filters, shorter window) or try again"
            ) from None
        except PrometheusApiClientException as exc:
            raise ToolError(f"Prometheus rejected {what}: {_error_text(str(exc))}") from None
        except (requests.RequestException, ValueError) as exc:
            raise ToolError(f"Prometheus at {self.url} gave an unusable answer to {what}: {exc}") from None


def _timed_out(exc: requests.RequestException) -> bool:
    """Read timeouts surface as ConnectionError(MaxRetryError(ReadTimeoutError)) once a Retry is set."""
    if isinstance(exc, requests.Timeout):
        return not isinstance(exc, requests.ConnectTimeout)
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


def _error_text(message: str) -> str:
    """The ``error`` field of Prometheus's JSON error body, with the HTTP status."""
    found = _STATUS.search(message)
    if not found:
        return message
    status, body = found.groups()
    try:
        raw = body[2:-1] if body[:2] in ("b'", 'b"') else body
        payload = json.loads(raw.encode().decode("unicode_escape"))
        return f"{payload.get('error', raw)} (HTTP {status})"
    except (ValueError, AttributeError):
        return f"HTTP {status}: {body[:300]}"


def _as_vector(result: Any) -> list[dict[str, Any]]:
    """Scalars and strings come back as ``[ts, value]``; present them as a one-series vector."""
    if isinstance(result, list) and len(result) == 2 and not isinstance(result[0], dict):
        return [{"metric": {}, "value": result}]
    return result or []
