"""Hubble Relay client: ``observer.Observer/GetFlows`` and ``ServerStatus`` over gRPC, read-only.

Messages come from kubewhy's own proto subset (``tools/flows/proto``) and are converted with
``MessageToDict(preserving_proto_field_name=True)``, the same protobuf-JSON shape the snapshot files
hold, so every tool sees one shape whatever the source.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict, ParseDict

from tools.flows.filters import FlowFilter
from tools.flows.proto import flow_pb2, observer_pb2, observer_pb2_grpc
from tools.flows.source import FlowSourceError

PORT_FORWARD_HINT = (
    "e.g. `kubectl -n kube-system port-forward svc/hubble-relay 4245:80` and KUBEWHY_HUBBLE_ADDRESS"
)


class RelayFlowSource:
    """Flows from a live Hubble Relay (or any Hubble observer) at ``host:port``."""

    def __init__(
        self,
        address: str,
        tls: bool = False,
        ca_file: str | Path | None = None,
        timeout_s: float = 30.0,
        server_name: str | None = None,
    ) -> None:
        if not address or ":" not in address:
            raise FlowSourceError(
                f"Hubble Relay address {address!r} must be host:port (Relay listens on 4245)"
            )
        self.address = address
        self.tls = tls
        self.timeout_s = timeout_s
        self.description = f"Hubble Relay {address}{' (TLS)' if tls else ''}"
        self._root_certificates: bytes | None = None
        if ca_file is not None:
            try:
                self._root_certificates = Path(ca_file).read_bytes()
            except OSError as exc:
                raise FlowSourceError(f"cannot read Hubble CA file {ca_file}: {exc.strerror or exc}") from exc
        self._options: list[tuple[str, Any]] = []
        if server_name:
            self._options.append(("grpc.ssl_target_name_override", server_name))
        self._channel: grpc.Channel | None = None

    def _stub(self) -> observer_pb2_grpc.ObserverStub:
        if self._channel is None:
            if self.tls:
                credentials = grpc.ssl_channel_credentials(root_certificates=self._root_certificates)
                self._channel = grpc.secure_channel(self.address, credentials, options=self._options)
            else:
                self._channel = grpc.insecure_channel(self.address, options=self._options)
        return observer_pb2_grpc.ObserverStub(self._channel)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def iter_flows(
        self,
        filters: Sequence[FlowFilter] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        *,
        exclude: Sequence[FlowFilter] = (),
        first: bool = False,
    ) -> Iterator[dict[str, Any]]:
        request = build_request(filters, since, until, limit, exclude=exclude, first=first)
        stream = self._stub().GetFlows(request, timeout=self.timeout_s)
        try:
            for response in stream:
                if response.WhichOneof("response_types") != "flow":
                    continue  # node_status / lost_events
                flow = MessageToDict(response.flow, preserving_proto_field_name=True)
                if "node_name" not in flow and response.node_name:
                    flow["node_name"] = response.node_name
                yield flow
        except grpc.RpcError as exc:
            raise self._error(exc) from None
        finally:
            stream.cancel()

    def server_status(self) -> dict[str, Any]:
        """``ServerStatus``: flows in the ring buffers, connected and unavailable nodes, version."""
        try:
            response = self._stub().ServerStatus(observer_pb2.ServerStatusRequest(), timeout=self.timeout_s)
        except grpc.RpcError as exc:
            raise self._error(exc) from None
        return MessageToDict(response, preserving_proto_field_name=True)

    def _error(self, exc: grpc.RpcError) -> FlowSourceError:
        code = exc.code() if hasattr(exc, "code") else None
        details = (exc.details() if hasattr(exc, "details") else None) or str(exc)
        if code == grpc.StatusCode.UNAVAILABLE:
            tls_hint = " (check that TLS is on/off as the Relay expects, and the CA)" if self.tls else ""
            return FlowSourceError(
                f"Hubble Relay at {self.address} is unreachable{tls_hint}: {details}. "
                f"Make it reachable, {PORT_FORWARD_HINT}."
            )
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return FlowSourceError(
                f"Hubble Relay at {self.address} did not answer within {self.timeout_s:g}s"
            )
        if code == grpc.StatusCode.UNIMPLEMENTED:
            return FlowSourceError(f"{self.address} is not a Hubble Relay/observer ({details})")
        name = code.name if code is not None else "error"
        return FlowSourceError(f"Hubble Relay at {self.address} answered {name}: {details}")


def build_request(
    filters: Sequence[FlowFilter] | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    *,
    exclude: Sequence[FlowFilter] = (),
    first: bool = False,
) -> observer_pb2.GetFlowsRequest:
    """A ``GetFlowsRequest`` that never follows (kubewhy reads history, it does not tail)."""
    request = observer_pb2.GetFlowsRequest(number=max(limit or 0, 0), first=first, follow=False)
    for item in filters or ():
        request.whitelist.append(ParseDict(item.to_dict(), flow_pb2.FlowFilter()))
    for item in exclude:
        request.blacklist.append(ParseDict(item.to_dict(), flow_pb2.FlowFilter()))
    if since is not None:
        request.since.FromDatetime(_utc(since))
    if until is not None:
        request.until.FromDatetime(_utc(until))
    return request


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
