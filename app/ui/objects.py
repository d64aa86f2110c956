"""The objects a card names, each a button that opens its YAML: read now through the tool layer's
``k8s_get`` (read-only, Secret values hidden by the transport and the tool), shown as text that nothing
interprets. The read happens only when the popover is opened, not on every run of the page."""

from __future__ import annotations

import streamlit as st

from app.toolset import call_tool
from app.ui import shell
from app.ui.safe import md_line, plain
from tools.contracts.diagnosis import Evidence, Finding, ResourceRef
from tools.contracts.tool import ToolContext

MAX_OBJECTS = 4  # per finding: the object to fix, then the ones its evidence describes
_OBJECT_TOOLS = ("k8s_describe", "k8s_get", "k8s_service", "k8s_node")


def named_objects(finding: Finding, cited: list[Evidence]) -> list[ResourceRef]:
    """The object to fix first, then each object a cited Kubernetes read was about (no repeats)."""
    found = [finding.resource]
    for item in cited:
        kind, name = item.args.get("kind"), item.args.get("name")
        if item.tool == "k8s_service" and name:
            kind = "Service"
        elif item.tool == "k8s_node" and name:
            kind = "Node"
        if item.tool in _OBJECT_TOOLS and isinstance(kind, str) and isinstance(name, str):
            namespace = item.args.get("namespace")
            namespace = namespace if isinstance(namespace, str) else None
            ref = ResourceRef(kind=kind, name=name, namespace=namespace)
            if not any(_same(ref, known) for known in found):
                found.append(ref)
    return found[:MAX_OBJECTS]


def _same(a: ResourceRef, b: ResourceRef) -> bool:
    return (a.kind.lower(), a.namespace, a.name) == (b.kind.lower(), b.namespace, b.name)


def read_yaml(ctx: ToolContext, ref: ResourceRef) -> tuple[str, str | None]:
    """The object's YAML as ``k8s_get`` prints it, and the error that stopped the read (or None)."""
    args = {"kind": ref.kind, "name": ref.name, "namespace": ref.namespace}
    result = call_tool(ctx, "k8s_get", {k: v for k, v in args.items() if v is not None})
    return result.text, result.error


def render_objects(refs: list[ResourceRef], cluster: str, key: str) -> None:
    """A row of buttons, one per object; opening one reads the object from the open cluster."""
    with st.container(horizontal=True, gap="small", key=f"objects-{key}"):
        for number, ref in enumerate(refs):
            _object(ref, cluster, f"{key}-o{number}")


def _object(ref: ResourceRef, cluster: str, key: str) -> None:
    popover = st.popover(
        md_line(str(ref), 120),
        icon=":material/data_object:",
        help="Open its YAML, read now from the cluster (read-only, Secret values hidden)",
        on_change="rerun",
        key=f"yaml-{key}",
    )
    with popover:
        if not popover.open:
            return
        session = shell.current().session
        if session is None or session.cluster != cluster:
            st.caption(md_line(f"Open {cluster} in the sidebar to read the YAML of its objects."))
            return
        text, error = read_yaml(session.ctx, ref)
        st.caption(md_line(f"k8s_get on {cluster}: read-only; Secret values are never shown", 300))
        if error:
            st.error(md_line(error, 500))
        else:
            st.code(plain(text), language="yaml", wrap_lines=True)
