"""Resources: each source's status, the cluster's objects and the evidence a client has read, by URI.

    kubewhy://<cluster>/sources/<source>                  a source's status (JSON)
    kubewhy://<cluster>/<namespace>/<kind>/<name>         an object as YAML; namespace `_` (or `-`) for
                                                          cluster-scoped kinds (Node, Namespace, ...)
    kubewhy://<cluster>/evidence/<id>                     a tool result this client was given (e3)

Objects are offered as a template, never enumerated (a cluster may hold 100k of them), and read through
the ``k8s_get`` tool, so the read-only transport and its Secret redaction apply as for every tool call.
"""

from __future__ import annotations

import json
from urllib.parse import quote, unquote, urlsplit

from mcp import types
from mcp.shared.exceptions import McpError

from app.engine import Session

SCHEME = "kubewhy"
CLUSTER_SCOPED = ("_", "-")
RESOURCE_NOT_FOUND = -32002  # the code MCP gives an unknown resource


def cluster_uri(session: Session) -> str:
    return f"{SCHEME}://{quote(session.cluster, safe='')}"


def status_resources(session: Session) -> list[types.Resource]:
    base = cluster_uri(session)
    return [
        types.Resource(
            uri=f"{base}/sources/{source.name}",
            name=f"source-{source.name}",
            title=f"{source.name} source status",
            description=("connected" if source.ok else "not connected") + f": {source.detail}",
            mimeType="application/json",
        )
        for source in session.sources
    ]


def templates(session: Session) -> list[types.ResourceTemplate]:
    base = cluster_uri(session)
    return [
        types.ResourceTemplate(
            uriTemplate=f"{base}/{{namespace}}/{{kind}}/{{name}}",
            name="object",
            title="Kubernetes object",
            description=(
                f"An object of cluster {session.cluster} as YAML (spec and status; Secret values are never "
                "shown). Use `_` as the namespace of cluster-scoped kinds, e.g. "
                f"{base}/_/Node/<name>; kinds as kubectl spells them (Deployment, deploy, pods)."
            ),
            mimeType="application/yaml",
        ),
        types.ResourceTemplate(
            uriTemplate=f"{base}/evidence/{{id}}",
            name="evidence",
            title="Evidence",
            description="A tool result this client was given, by its evidence id (e3), as JSON.",
            mimeType="application/json",
        ),
    ]


def status_json(session: Session, name: str) -> str:
    for source in session.sources:
        if source.name == name:
            why = session.ctx.unavailable.get(name)
            doc = {"source": name, "connected": source.ok, "detail": source.detail, "why_not": why}
            return json.dumps(doc, indent=2)
    known = ", ".join(source.name for source in session.sources)
    raise not_found(f"no source {name!r}; sources: {known}")


def parse(session: Session, uri: str) -> list[str]:
    """The path parts of a kubewhy URI of this session's cluster, or a clear error."""
    parts = urlsplit(uri)
    if parts.scheme != SCHEME:
        raise not_found(f"{uri[:200]}: not a {SCHEME}:// URI")
    cluster = unquote(parts.netloc)
    if cluster.lower() != session.cluster.lower():
        raise not_found(f"{uri[:200]}: this server reads cluster {session.cluster!r}, not {cluster[:100]!r}")
    segments = [unquote(part) for part in parts.path.split("/")[1:]]
    if not segments or any(not part for part in segments):
        raise not_found(f"{uri[:200]}: expected {cluster_uri(session)}/<namespace>/<kind>/<name>")
    return segments


def object_args(segments: list[str]) -> dict[str, str]:
    namespace, kind, name = segments
    args = {"kind": kind, "name": name}
    if namespace not in CLUSTER_SCOPED:
        args["namespace"] = namespace
    return args


def not_found(message: str) -> McpError:
    return McpError(types.ErrorData(code=RESOURCE_NOT_FOUND, message=message))
