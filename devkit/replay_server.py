"""A Hubble observer of kubewhy's own that replays recorded flows over gRPC.

It answers ``observer.Observer/GetFlows`` (honouring whitelist/blacklist, since/until, number and
first) and ``ServerStatus`` from any :class:`~tools.flows.source.FlowSource`, usually ``*.jsonl``
files. Tests use it as the Relay; people can use it to try kubewhy's live mode without a cluster:

    python -m devkit.replay_server app/demo/shop/flows --port 4245
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent import futures
from datetime import UTC
from pathlib import Path

import grpc
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError

from tools.flows.files import FileFlowSource
from tools.flows.filters import FilterError, FlowFilter
from tools.flows.proto import flow_pb2, observer_pb2, observer_pb2_grpc
from tools.flows.source import FlowSource


class ReplayObserver(observer_pb2_grpc.ObserverServicer):
    """Serves the flows of ``source``; every request is a fresh scan."""

    def __init__(self, source: FlowSource, version: str = "kubewhy-replay") -> None:
        self.source = source
        self.version = version
        self.started = time.monotonic()

    def GetFlows(  # gRPC method name
        self, request: observer_pb2.GetFlowsRequest, context: grpc.ServicerContext
    ) -> Iterator[observer_pb2.GetFlowsResponse]:
        try:
            whitelist = [_filter(item) for item in request.whitelist]
            blacklist = [_filter(item) for item in request.blacklist]
        except FilterError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        since = request.since.ToDatetime(tzinfo=UTC) if request.HasField("since") else None
        until = request.until.ToDatetime(tzinfo=UTC) if request.HasField("until") else None
        flows = self.source.iter_flows(
            whitelist, since, until, request.number or None, exclude=blacklist, first=request.first
        )
        for flow in flows:
            message = flow_pb2.Flow()
            try:
                ParseDict(flow, message, ignore_unknown_fields=True)
            except ParseError:
                continue  # a record the wire format cannot carry; a real Hubble would never have it
            yield observer_pb2.GetFlowsResponse(flow=message, node_name=message.node_name, time=message.time)

    def ServerStatus(  # gRPC method name
        self, request: observer_pb2.ServerStatusRequest, context: grpc.ServicerContext
    ) -> observer_pb2.ServerStatusResponse:
        count = sum(1 for _ in self.source.iter_flows())
        response = observer_pb2.ServerStatusResponse(
            num_flows=count,
            max_flows=count,
            seen_flows=count,
            uptime_ns=int((time.monotonic() - self.started) * 1e9),
            version=self.version,
        )
        response.num_connected_nodes.value = 1
        response.num_unavailable_nodes.value = 0
        return response


def _filter(message: flow_pb2.FlowFilter) -> FlowFilter:
    return FlowFilter.from_dict(MessageToDict(message, preserving_proto_field_name=True))


class ReplayServer:
    """A running replay server on ``host:port`` (port 0 picks a free one). Stop it with :meth:`stop`."""

    def __init__(
        self,
        source: FlowSource,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_cert: bytes | None = None,
        tls_key: bytes | None = None,
    ) -> None:
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        observer_pb2_grpc.add_ObserverServicer_to_server(ReplayObserver(source), self._server)
        if tls_cert is not None and tls_key is not None:
            credentials = grpc.ssl_server_credentials([(tls_key, tls_cert)])
            self.port = self._server.add_secure_port(f"{host}:{port}", credentials)
        else:
            self.port = self._server.add_insecure_port(f"{host}:{port}")
        self.address = f"{host}:{self.port}"
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None).wait()

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self) -> None:
        self._server.wait_for_termination()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replay recorded Hubble flows as a Hubble observer.")
    parser.add_argument("paths", nargs="+", help="flow .jsonl files or directories")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4245)
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate (enables TLS)")
    parser.add_argument("--tls-key", type=Path, help="PEM private key")
    args = parser.parse_args(argv)
    try:
        source = FileFlowSource(args.paths)
        cert = args.tls_cert.read_bytes() if args.tls_cert else None
        key = args.tls_key.read_bytes() if args.tls_key else None
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = ReplayServer(source, args.host, args.port, cert, key)
    print(f"replaying {source.description} on {server.address}", file=sys.stderr)
    try:
        server.wait()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
