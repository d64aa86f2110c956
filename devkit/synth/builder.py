"""ClusterBuilder: write realistic synthetic cluster snapshots in a few lines.

    b = ClusterBuilder("shop-prod", "2026-11-20T09:30:00Z", seed=7)
    for n in ("worker-1", "worker-2", "worker-3"):
        b.node(n)
    b.namespace("shop")
    api = b.deployment("shop", "api", "registry.example.com/shop/api:1.4.2", port=8080)
    b.service("shop", "api", port=80, target_port="http")
    api.pods[0].crash_loop(since="20m", previous_log=["panic: boom"])
    write_snapshot(b, "out/")  # devkit.synth.writer

Everything (objects, events, logs, metrics, flows) is rendered from one model at write time, so the
pieces agree with each other, and the same inputs always give byte-identical files.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from devkit.synth.clock import Ago, duration, parse_instant
from devkit.synth.ids import Ids
from devkit.synth.model import Container, Run, Usage
from devkit.synth.pods import Pod
from devkit.synth.quantity import parse_quantity
from devkit.synth.specs import container as container_spec
from devkit.synth.specs import pod_template
from devkit.synth.workloads import DaemonSet, Deployment, ReplicaSet, StatefulSet

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
ObjRef = Any  # a Pod, a workload, a ServiceModel, or a (kind, namespace, name) tuple


@dataclass(eq=False)
class NodeModel:
    name: str
    index: int
    ip: str
    pod_cidr: str
    labels: dict[str, str]
    cpu: str
    memory: str
    pods: int
    created: datetime
    taints: list[dict[str, Any]]
    conditions: dict[str, tuple[str, str, str, datetime]]  # type -> (status, reason, message, since)
    role: str
    unschedulable: bool = False
    uid: str = ""
    next_ip: int = 10

    @property
    def ready(self) -> bool:
        return self.conditions.get("Ready", ("True",))[0] == "True"


@dataclass(eq=False)
class ServiceModel:
    namespace: str
    name: str
    uid: str
    selector: dict[str, str] | None
    ports: list[dict[str, Any]]
    cluster_ip: str
    type: str
    created: datetime
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    kind: str = "Service"


@dataclass(eq=False)
class EventModel:
    involved: dict[str, Any]
    reason: str
    message: str
    type: str
    count: int
    first: datetime
    last: datetime
    component: str
    host: str | None
    namespace: str


@dataclass(eq=False)
class Traffic:
    """Connections from one workload to another, sampled every `every` in the flow records."""

    src: Any
    dst: Any
    port: int
    service: ServiceModel | None
    every: timedelta
    since: datetime
    until: datetime
    dropped_since: datetime | None = None
    drop_reason: str = "POLICY_DENIED"
    rst_since: datetime | None = None
    http: list[tuple[str, str, int]] | None = None  # (method, url, code) for L7 HTTP flows
    rate: float = 1.0  # real connections per second (for Hubble counters)


@dataclass(eq=False)
class DnsTraffic:
    src: Any
    query: str
    every: timedelta
    since: datetime
    until: datetime
    rcode: int = 0
    ips: list[str] = field(default_factory=list)
    qtype: str = "A"
    l7: bool = True


@dataclass(eq=False)
class HttpProfile:
    """Application HTTP metrics of a workload: rate, error mix and latency, with step changes."""

    workload: Any
    service: str
    rps: float
    codes: dict[str, float]
    latency: float  # median seconds
    spread: float  # lognormal sigma
    changes: list[tuple[datetime, dict[str, Any]]]

    def at(self, t: datetime) -> tuple[float, dict[str, float], float]:
        rps, codes, latency = self.rps, self.codes, self.latency
        for moment, change in sorted(self.changes, key=lambda item: item[0]):
            if moment <= t:
                rps = change.get("rps", rps)
                codes = change.get("codes", codes)
                latency = change.get("latency", latency)
        return rps, codes, latency


@dataclass(eq=False)
class DnsProfile:
    """CoreDNS query rate and answer mix, with step changes."""

    rps: float = 40.0
    rcodes: dict[str, float] = field(default_factory=lambda: {"NOERROR": 0.86, "NXDOMAIN": 0.14})
    latency: float = 0.0012
    changes: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)

    def at(self, t: datetime) -> tuple[float, dict[str, float], float]:
        rps, rcodes, latency = self.rps, self.rcodes, self.latency
        for moment, change in sorted(self.changes, key=lambda item: item[0]):
            if moment <= t:
                rps = change.get("rps", rps)
                rcodes = change.get("rcodes", rcodes)
                latency = change.get("latency", latency)
        return rps, rcodes, latency


class ClusterBuilder:
    def __init__(
        self,
        name: str,
        captured_at: str | datetime,
        *,
        seed: int | str = 1,
        kubernetes_version: str = "v1.31.2",
        description: str | None = None,
        window: Ago = "2h",
        step: int = 60,
        event_ttl: Ago = "1h",
        hubble_metrics: tuple[str, ...] = ("dns", "drop", "flow"),
        ksm: str = "lean",
    ) -> None:
        self.name = name
        self.now = parse_instant(captured_at)
        self.ids = Ids(f"{seed}:{name}")
        self.kubernetes_version = kubernetes_version
        self.description = description
        self.window = duration(window)
        self.step = step
        self.event_ttl = duration(event_ttl)
        self.hubble_metrics = set(hubble_metrics)
        if ksm not in ("lean", "full"):
            raise ValueError("ksm must be 'lean' or 'full'")
        self.ksm = ksm
        self.nodes: dict[str, NodeModel] = {}
        self.namespaces: dict[str, dict[str, Any]] = {}
        self.deployments: list[Deployment] = []
        self.statefulsets: list[StatefulSet] = []
        self.daemonsets: list[DaemonSet] = []
        self.bare_pods: list[Pod] = []
        self.services: list[ServiceModel] = []
        self.objects: list[dict[str, Any]] = []  # everything else, already in API form
        self.events: list[EventModel] = []
        self.traffic_list: list[Traffic] = []
        self.dns_list: list[DnsTraffic] = []
        self.http_profiles: list[HttpProfile] = []
        self.dns_profile = DnsProfile()
        self.oom_ramps: list[tuple[Pod, str, timedelta]] = []
        self.rendered_storage: list[dict[str, Any]] = []
        self.extra_logs: dict[tuple[str, str, str, bool], list[tuple[datetime, str]]] = {}
        self._cluster_ips: set[str] = {"10.96.0.1", "10.96.0.10"}
        self._placement = 0
        for ns in SYSTEM_NAMESPACES:
            self.namespace(ns, created=self.now - timedelta(days=200))
        self.service(
            "default",
            "kubernetes",
            selector=None,
            ports=[("https", 443, 6443)],
            cluster_ip="10.96.0.1",
            labels={"component": "apiserver", "provider": "kubernetes"},
            created="200d",
        )

    # ----- time -------------------------------------------------------------------------------------
    def at(self, ago: Ago | datetime) -> datetime:
        """The moment `ago` before capture ('90m', '2h', seconds, timedelta) or an absolute datetime."""
        if isinstance(ago, datetime):
            return parse_instant(ago)
        return self.now - duration(ago)

    @property
    def window_start(self) -> datetime:
        return self.now - self.window

    # ----- nodes and namespaces ---------------------------------------------------------------------
    def node(
        self,
        name: str,
        *,
        cpu: str = "4",
        memory: str = "16Gi",
        pods: int = 110,
        role: str = "worker",
        zone: str | None = None,
        instance_type: str = "m6i.xlarge",
        created: Ago = "60d",
        taints: list[dict[str, Any]] | None = None,
        labels: dict[str, str] | None = None,
        conditions: dict[str, tuple[str, str, str, Ago]] | None = None,
        unschedulable: bool = False,
    ) -> NodeModel:
        """A node. `conditions` overrides e.g. {"Ready": ("Unknown", "NodeStatusUnknown",
        "Kubelet stopped posting node status.", "12m")}."""
        index = len(self.nodes)
        made = self.at(created)
        zone = zone or f"eu-west-1{'abc'[index % 3]}"
        node_labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": instance_type,
            "topology.kubernetes.io/region": "eu-west-1",
            "topology.kubernetes.io/zone": zone,
        }
        if role == "control-plane":
            node_labels["node-role.kubernetes.io/control-plane"] = ""
            taints = (
                taints
                if taints is not None
                else [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]
            )
        node_labels.update(labels or {})
        conds = {
            "NetworkUnavailable": ("False", "CiliumIsUp", "Cilium is running on this node", made),
            "MemoryPressure": (
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
                made,
            ),
            "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", made),
            "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", made),
            "Ready": ("True", "KubeletReady", "kubelet is posting ready status", made),
        }
        for kind, (status, reason, message, since) in (conditions or {}).items():
            conds[kind] = (status, reason, message, self.at(since))
        node = NodeModel(
            name=name,
            index=index,
            ip=f"10.0.1.{11 + index}",
            pod_cidr=f"10.244.{index}.0/24",
            labels=node_labels,
            cpu=cpu,
            memory=memory,
            pods=pods,
            created=made,
            taints=list(taints or []),
            conditions=conds,
            role=role,
            unschedulable=unschedulable,
            uid=self.ids.uid("node/" + name),
        )
        self.nodes[name] = node
        return node

    def namespace(self, name: str, *, labels: dict[str, str] | None = None, created: Ago = "60d") -> None:
        moment = self.at(created) if not isinstance(created, datetime) else created
        ns_labels = {"kubernetes.io/metadata.name": name, **(labels or {})}
        self.namespaces[name] = {"labels": ns_labels, "created": moment, "uid": self.ids.uid("ns/" + name)}

    # ----- placement --------------------------------------------------------------------------------
    def _schedulable_nodes(self, tolerations: list[dict[str, Any]] | None = None) -> list[NodeModel]:
        tolerated = {t.get("key") for t in tolerations or []}
        return [
            n
            for n in self.nodes.values()
            if not n.unschedulable
            and n.ready
            and all(t.get("effect") != "NoSchedule" or t.get("key") in tolerated for t in n.taints)
        ]

    def _place(self, tolerations: list[dict[str, Any]] | None = None) -> NodeModel:
        candidates = self._schedulable_nodes(tolerations)
        if not candidates:
            raise ValueError("no schedulable node: add nodes before workloads")
        node = candidates[self._placement % len(candidates)]
        self._placement += 1
        return node

    def _pod_ip(self, node: NodeModel) -> str:
        ip = f"10.244.{node.index}.{node.next_ip}"
        node.next_ip += 1 + self.ids.number(f"ipgap/{node.name}/{node.next_ip}", 0, 3)
        return ip

    def release_ip(self, pod: Pod) -> None:
        pod.ip = None

    def cluster_ip(self, key: str) -> str:
        n = 0
        while True:
            third = self.ids.number(f"cip/{key}/{n}", 1, 254)
            ip = f"10.96.{third}.{self.ids.number(f'cip2/{key}/{n}', 2, 254)}"
            if ip not in self._cluster_ips:
                self._cluster_ips.add(ip)
                return ip
            n += 1

    # ----- pods and workloads -----------------------------------------------------------------------
    def _make_pod(
        self,
        namespace: str,
        name: str,
        template: dict[str, Any],
        created: datetime,
        *,
        owner: dict[str, Any] | None,
        workload: tuple[str, str] | None,
        node: NodeModel | str | None = None,
        extra_labels: dict[str, str] | None = None,
        generate_name: str | None = None,
    ) -> Pod:
        spec = copy.deepcopy(template["spec"])
        if isinstance(node, str):
            node = self.nodes[node]
        node = node or self._place(spec.get("tolerations"))
        labels = {**template["metadata"].get("labels", {}), **(extra_labels or {})}
        start_delay = timedelta(seconds=2 + self.ids.number(f"start/{namespace}/{name}", 0, 9))
        containers = [
            Container(
                name=c["name"],
                spec=c,
                runs=[Run(started=created + start_delay)],
                usage=Usage(cpu=_default_cpu(c), memory=_default_memory(c)),
            )
            for c in spec["containers"]
        ]
        host_network = bool(spec.get("hostNetwork"))
        pod = Pod(
            namespace=namespace,
            name=name,
            uid=self.ids.uid(f"pod/{namespace}/{name}"),
            labels=labels,
            created=created,
            spec=spec,
            containers=containers,
            b=self,
            owner=owner,
            workload=workload,
            node=node.name,
            ip=node.ip if host_network else self._pod_ip(node),
            annotations=dict(template["metadata"].get("annotations", {})),
            generate_name=generate_name,
        )
        return pod

    def deployment(
        self,
        namespace: str,
        name: str,
        image: str | None = None,
        *,
        replicas: int = 2,
        containers: list[dict[str, Any]] | None = None,
        labels: dict[str, str] | None = None,
        created: Ago = "45d",
        rolled_out: Ago = "6d",
        revision: int = 3,
        previous_images: list[str] | None = None,
        volumes: list[dict[str, Any]] | None = None,
        service_account: str | None = None,
        node_selector: dict[str, str] | None = None,
        tolerations: list[dict[str, Any]] | None = None,
        init_containers: list[dict[str, Any]] | None = None,
        pod_annotations: dict[str, str] | None = None,
        priority_class: str | None = None,
        annotations: dict[str, str] | None = None,
        nodes: list[str] | None = None,
        **container_kwargs: Any,
    ) -> Deployment:
        """A Deployment, its current ReplicaSet (created `rolled_out` ago) with `replicas` running pods,
        and old ReplicaSets scaled to 0 from earlier rollouts (`revision` - 1 of them, or one per
        entry of `previous_images`). Extra keyword arguments go to `specs.container` (port, cpu,
        memory, cpu_limit, memory_limit, env, probe_path ...)."""
        labels = labels or {"app": name}
        if containers is None:
            if image is None:
                raise ValueError(f"deployment {namespace}/{name}: give an image or containers")
            containers = [container_spec(name, image, **container_kwargs)]
        template = pod_template(
            labels,
            containers,
            volumes=volumes,
            service_account=service_account,
            node_selector=node_selector,
            tolerations=tolerations,
            init_containers=init_containers,
            annotations=pod_annotations,
            priority_class=priority_class,
        )
        self._ensure_namespace(namespace)
        made = self.at(created)
        dep = Deployment(
            b=self,
            namespace=namespace,
            name=name,
            uid=self.ids.uid(f"deploy/{namespace}/{name}"),
            labels=dict(labels),
            selector=dict(labels),
            replicas=replicas,
            created=made,
            template=template,
            annotations=dict(annotations or {}),
        )
        olds = previous_images if previous_images is not None else [None] * max(revision - 1, 0)
        current_at = self.at(rolled_out)
        span = (current_at - made) / (len(olds) + 1)
        for index, old_image in enumerate(olds):
            old_template = copy.deepcopy(template)
            if old_image:
                old_template["spec"]["containers"][0]["image"] = old_image
            else:
                old_template["metadata"].setdefault("annotations", {})[
                    "kubectl.kubernetes.io/restartedAt"
                ] = (made + span * index).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._replica_set(dep, old_template, made + span * index, 0, key_extra=f"old{index}")
        dep.generation = len(olds) + 1
        rs = self._replica_set(dep, template, current_at, replicas, nodes=nodes)
        for pod in rs.pods:
            for c in pod.containers:
                c.runs[0].started = min(c.runs[0].started, current_at + timedelta(seconds=30))
        self.deployments.append(dep)
        return dep

    def _replica_set(
        self,
        dep: Deployment,
        template: dict[str, Any],
        created: datetime,
        count: int,
        *,
        nodes: list[str] | None = None,
        key_extra: str = "",
    ) -> ReplicaSet:
        revision = len(dep.replica_sets) + 1
        hash_ = self.ids.template_hash(f"{dep.namespace}/{dep.name}/{revision}{key_extra}")
        template = copy.deepcopy(template)
        template["metadata"]["labels"]["pod-template-hash"] = hash_
        rs_name = f"{dep.name}-{hash_}"
        rs = ReplicaSet(
            deployment=dep,
            name=rs_name,
            uid=self.ids.uid(f"rs/{dep.namespace}/{rs_name}"),
            hash=hash_,
            revision=revision,
            created=created,
            template=template,
            replicas=count,
        )
        owner = _owner("apps/v1", "ReplicaSet", rs_name, rs.uid)
        for i in range(count):
            pod_name = f"{rs_name}-{self.ids.token(f'{dep.namespace}/{rs_name}/{i}', 5)}"
            node = nodes[i % len(nodes)] if nodes else None
            pod_created = created + timedelta(seconds=1 + i)
            pod = self._make_pod(
                dep.namespace,
                pod_name,
                template,
                pod_created,
                owner=owner,
                workload=("Deployment", dep.name),
                node=node,
                generate_name=f"{rs_name}-",
            )
            rs.pods.append(pod)
        dep.replica_sets.append(rs)
        return rs

    def statefulset(
        self,
        namespace: str,
        name: str,
        image: str | None = None,
        *,
        replicas: int = 1,
        service_name: str | None = None,
        claims: list[tuple[str, str, str]] | None = None,
        mount_path: str = "/data",
        containers: list[dict[str, Any]] | None = None,
        labels: dict[str, str] | None = None,
        created: Ago = "45d",
        rolled_out: Ago = "12d",
        service_account: str | None = None,
        volumes: list[dict[str, Any]] | None = None,
        nodes: list[str] | None = None,
        **container_kwargs: Any,
    ) -> StatefulSet:
        """A StatefulSet with pods `name-0..`, and for each volume claim template (name, size,
        storageClass) one Bound PVC per pod with its PV."""
        labels = labels or {"app": name}
        claims = claims if claims is not None else [("data", "10Gi", "gp3")]
        if containers is None:
            mounts = [{"mountPath": mount_path, "name": claims[0][0]}] if claims else None
            containers = [container_spec(name, image or "", volume_mounts=mounts, **container_kwargs)]
        template = pod_template(labels, containers, service_account=service_account, volumes=volumes)
        self._ensure_namespace(namespace)
        sts = StatefulSet(
            b=self,
            namespace=namespace,
            name=name,
            uid=self.ids.uid(f"sts/{namespace}/{name}"),
            labels=dict(labels),
            selector=dict(labels),
            replicas=replicas,
            created=self.at(created),
            template=template,
            service_name=service_name or name,
            claims=claims,
            revision=f"{name}-{self.ids.template_hash(f'sts/{namespace}/{name}')}",
        )
        owner = _owner("apps/v1", "StatefulSet", name, sts.uid)
        started = self.at(rolled_out)
        for i in range(replicas):
            pod_name = f"{name}-{i}"
            pod_template_copy = copy.deepcopy(template)
            pod_template_copy["spec"]["hostname"] = pod_name
            pod_template_copy["spec"]["subdomain"] = sts.service_name
            volumes_list = pod_template_copy["spec"].setdefault("volumes", [])
            for claim_name, _size, _sc in claims:
                volumes_list.append(
                    {"name": claim_name, "persistentVolumeClaim": {"claimName": f"{claim_name}-{pod_name}"}}
                )
            pod = self._make_pod(
                namespace,
                pod_name,
                pod_template_copy,
                started + timedelta(seconds=30 * i),
                owner=owner,
                workload=("StatefulSet", name),
                node=nodes[i % len(nodes)] if nodes else None,
                extra_labels={
                    "apps.kubernetes.io/pod-index": str(i),
                    "controller-revision-hash": sts.revision,
                    "statefulset.kubernetes.io/pod-name": pod_name,
                },
                generate_name=f"{name}-",
            )
            sts.pod_list.append(pod)
        self.statefulsets.append(sts)
        return sts

    def daemonset(
        self,
        namespace: str,
        name: str,
        image: str | None = None,
        *,
        containers: list[dict[str, Any]] | None = None,
        labels: dict[str, str] | None = None,
        created: Ago = "60d",
        rolled_out: Ago = "20d",
        host_network: bool = False,
        service_account: str | None = None,
        priority_class: str | None = "system-node-critical",
        tolerations: list[dict[str, Any]] | None = None,
        volumes: list[dict[str, Any]] | None = None,
        **container_kwargs: Any,
    ) -> DaemonSet:
        """A DaemonSet with one running pod on every node (it tolerates every taint by default)."""
        labels = labels or {"app": name}
        if containers is None:
            containers = [container_spec(name, image or "", **container_kwargs)]
        tolerations = tolerations if tolerations is not None else [{"operator": "Exists"}]
        template = pod_template(
            labels,
            containers,
            service_account=service_account,
            priority_class=priority_class,
            tolerations=tolerations,
            volumes=volumes,
            host_network=host_network,
        )
        self._ensure_namespace(namespace)
        ds = DaemonSet(
            b=self,
            namespace=namespace,
            name=name,
            uid=self.ids.uid(f"ds/{namespace}/{name}"),
            labels=dict(labels),
            selector=dict(labels),
            created=self.at(created),
            template=template,
            revision=self.ids.template_hash(f"ds/{namespace}/{name}"),
        )
        owner = _owner("apps/v1", "DaemonSet", name, ds.uid)
        started = self.at(rolled_out)
        for index, node in enumerate(self.nodes.values()):
            pod_name = f"{name}-{self.ids.token(f'ds/{namespace}/{name}/{node.name}', 5)}"
            pod = self._make_pod(
                namespace,
                pod_name,
                template,
                max(started, node.created) + timedelta(seconds=5 * index),
                owner=owner,
                workload=("DaemonSet", name),
                node=node,
                extra_labels={"controller-revision-hash": ds.revision, "pod-template-generation": "1"},
                generate_name=f"{name}-",
            )
            ds.pod_list.append(pod)
        self.daemonsets.append(ds)
        return ds

    def pod(
        self,
        namespace: str,
        name: str,
        image: str,
        *,
        labels: dict[str, str] | None = None,
        created: Ago = "2d",
        node: str | None = None,
        **container_kwargs: Any,
    ) -> Pod:
        """A bare pod (no controller)."""
        self._ensure_namespace(namespace)
        template = pod_template(labels or {"run": name}, [container_spec(name, image, **container_kwargs)])
        pod = self._make_pod(
            namespace, name, template, self.at(created), owner=None, workload=None, node=node
        )
        self.bare_pods.append(pod)
        return pod

    def all_pods(self, include_deleted: bool = False) -> list[Pod]:
        pods: list[Pod] = []
        for dep in self.deployments:
            pods.extend(p for rs in dep.replica_sets for p in rs.pods)
        for sts in self.statefulsets:
            pods.extend(sts.pod_list)
        for ds in self.daemonsets:
            pods.extend(ds.pod_list)
        pods.extend(self.bare_pods)
        return pods if include_deleted else [p for p in pods if p.deleted is None]

    def workload(self, ref: str | Any) -> Any:
        """A workload handle from 'namespace/name' (Deployments first, then StatefulSets, DaemonSets)."""
        if not isinstance(ref, str):
            return ref
        namespace, _, name = ref.partition("/")
        for group in (self.deployments, self.statefulsets, self.daemonsets):
            for item in group:
                if item.namespace == namespace and item.name == name:
                    return item
        raise KeyError(f"no workload {ref!r}")

    def find_service(self, namespace: str, name: str) -> ServiceModel:
        for svc in self.services:
            if svc.namespace == namespace and svc.name == name:
                return svc
        raise KeyError(f"no service {namespace}/{name}")

    def _ensure_namespace(self, namespace: str) -> None:
        if namespace not in self.namespaces:
            self.namespace(namespace)

    # ----- services and networking ------------------------------------------------------------------
    def service(
        self,
        namespace: str,
        name: str,
        *,
        selector: dict[str, str] | str | None = "default",
        port: int = 80,
        target_port: int | str = "http",
        port_name: str = "http",
        ports: list[tuple[Any, ...]] | None = None,
        type: str = "ClusterIP",
        headless: bool = False,
        cluster_ip: str | None = None,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        created: Ago = "45d",
        protocol: str = "TCP",
    ) -> ServiceModel:
        """A Service. `selector` defaults to {"app": name}; pass a different one to break it on purpose
        (no endpoints), or a wrong `target_port` (endpoints exist, connections are refused)."""
        if selector == "default":
            selector = {"app": name}
        port_list = ports or [(port_name, port, target_port)]
        items = []
        for index, entry in enumerate(port_list):
            pname, pport, ptarget = entry[:3]
            pproto = entry[3] if len(entry) > 3 else protocol
            item: dict[str, Any] = {"name": pname, "port": pport, "protocol": pproto, "targetPort": ptarget}
            if type in ("NodePort", "LoadBalancer"):
                item["nodePort"] = 30000 + self.ids.number(f"np/{namespace}/{name}/{index}", 0, 2767)
            items.append(item)
        if len(items) == 1 and ports is None and port_name == "":
            items[0].pop("name")
        self._ensure_namespace(namespace)
        svc = ServiceModel(
            namespace=namespace,
            name=name,
            uid=self.ids.uid(f"svc/{namespace}/{name}"),
            selector=selector if isinstance(selector, dict) else None,
            ports=items,
            cluster_ip="None" if headless else (cluster_ip or self.cluster_ip(f"{namespace}/{name}")),
            type=type,
            created=self.at(created),
            labels=dict(labels or {"app": name}),
            annotations=dict(annotations or {}),
        )
        self.services.append(svc)
        return svc

    def ingress_class(
        self, name: str = "nginx", controller: str = "k8s.io/ingress-nginx", default: bool = True
    ):
        annotations = {"ingressclass.kubernetes.io/is-default-class": "true"} if default else {}
        return self.add(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {
                    "name": name,
                    "annotations": annotations,
                    "labels": {"app.kubernetes.io/name": "ingress-nginx"},
                },
                "spec": {"controller": controller},
            },
            created="60d",
        )

    def ingress(
        self,
        namespace: str,
        name: str,
        host: str,
        paths: list[tuple[str, str, int | str]],
        *,
        class_name: str = "nginx",
        tls_secret: str | None = None,
        address: str = "203.0.113.24",
        annotations: dict[str, str] | None = None,
        created: Ago = "45d",
    ) -> dict[str, Any]:
        """An Ingress routing (path, service, port) for one host."""
        rule_paths = []
        for path, service, port in paths:
            port_ref = {"number": port} if isinstance(port, int) else {"name": port}
            rule_paths.append(
                {
                    "backend": {"service": {"name": service, "port": port_ref}},
                    "path": path,
                    "pathType": "Prefix",
                }
            )
        spec: dict[str, Any] = {
            "ingressClassName": class_name,
            "rules": [{"host": host, "http": {"paths": rule_paths}}],
        }
        if tls_secret:
            spec["tls"] = [{"hosts": [host], "secretName": tls_secret}]
        return self.add(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": name, "namespace": namespace, "annotations": dict(annotations or {})},
                "spec": spec,
                "status": {"loadBalancer": {"ingress": [{"ip": address}]}},
            },
            created=created,
            generation=True,
        )

    def network_policy(
        self,
        namespace: str,
        name: str,
        pod_selector: dict[str, str],
        *,
        ingress: list[dict[str, Any]] | None = None,
        egress: list[dict[str, Any]] | None = None,
        policy_types: list[str] | None = None,
        created: Ago = "30d",
        annotations: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A NetworkPolicy; `ingress`/`egress` are the rules as in the API (lists of from/to/ports)."""
        types = policy_types or (
            ["Ingress"] if egress is None else ["Ingress", "Egress"] if ingress is not None else ["Egress"]
        )
        spec: dict[str, Any] = {
            "podSelector": {"matchLabels": pod_selector} if pod_selector else {},
            "policyTypes": types,
        }
        if ingress is not None:
            spec["ingress"] = ingress
        if egress is not None:
            spec["egress"] = egress
        return self.add(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": name, "namespace": namespace, "annotations": dict(annotations or {})},
                "spec": spec,
            },
            created=created,
            generation=True,
        )

    # ----- autoscaling, budgets, quotas -------------------------------------------------------------
    def hpa(
        self,
        target: Deployment | StatefulSet,
        *,
        min_replicas: int = 2,
        max_replicas: int = 6,
        cpu_target: int = 70,
        current_cpu: int | None = 35,
        name: str | None = None,
        created: Ago = "40d",
    ) -> dict[str, Any]:
        """An autoscaling/v2 HPA on CPU utilisation; status from the target's replicas. `current_cpu=None`
        means the metric cannot be read (FailedGetResourceMetric)."""
        desired = target.replicas
        conditions = [
            _cond(
                "AbleToScale",
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
                self.at("3d"),
            ),
        ]
        if current_cpu is None:
            conditions.append(
                _cond(
                    "ScalingActive",
                    "False",
                    "FailedGetResourceMetric",
                    "the HPA was unable to compute the replica count: failed to get cpu utilization: "
                    "missing request for cpu in container",
                    self.at("30m"),
                )
            )
        else:
            conditions.append(
                _cond(
                    "ScalingActive",
                    "True",
                    "ValidMetricFound",
                    "the HPA was able to successfully calculate a replica count from cpu resource "
                    "utilization (percentage of request)",
                    self.at("40d"),
                )
            )
        if desired >= max_replicas:
            conditions.append(
                _cond(
                    "ScalingLimited",
                    "True",
                    "TooManyReplicas",
                    "the desired replica count is more than the maximum replica count",
                    self.at("20m"),
                )
            )
        else:
            conditions.append(
                _cond(
                    "ScalingLimited",
                    "False",
                    "DesiredWithinRange",
                    "the desired count is within the acceptable range",
                    self.at("3d"),
                )
            )
        status: dict[str, Any] = {
            "conditions": conditions,
            "currentReplicas": desired,
            "desiredReplicas": desired,
        }
        if current_cpu is not None:
            status["currentMetrics"] = [
                {
                    "resource": {
                        "current": {"averageUtilization": current_cpu, "averageValue": "60m"},
                        "name": "cpu",
                    },
                    "type": "Resource",
                }
            ]
        status["lastScaleTime"] = _ts(self.at("3d"))
        return self.add(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": name or target.name, "namespace": target.namespace},
                "spec": {
                    "maxReplicas": max_replicas,
                    "metrics": [
                        {
                            "resource": {
                                "name": "cpu",
                                "target": {"averageUtilization": cpu_target, "type": "Utilization"},
                            },
                            "type": "Resource",
                        }
                    ],
                    "minReplicas": min_replicas,
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": target.kind, "name": target.name},
                },
                "status": status,
            },
            created=created,
            generation=True,
        )

    def pdb(
        self,
        namespace: str,
        name: str,
        selector: dict[str, str],
        *,
        min_available: int | str | None = None,
        max_unavailable: int | str | None = None,
        created: Ago = "40d",
    ) -> dict[str, Any]:
        """A PodDisruptionBudget; its status counts the matching pods as the disruption controller does."""
        pods = [p for p in self.all_pods() if p.namespace == namespace and _matches(selector, p.labels)]
        healthy = sum(1 for p in pods if p.ready)
        expected = len(pods)
        if min_available is not None:
            desired = _resolve_int(min_available, expected, round_up=True)
        else:
            desired = expected - _resolve_int(
                max_unavailable if max_unavailable is not None else 1, expected, round_up=True
            )
        allowed = max(healthy - desired, 0)
        spec: dict[str, Any] = {"selector": {"matchLabels": selector}}
        if min_available is not None:
            spec["minAvailable"] = min_available
        else:
            spec["maxUnavailable"] = max_unavailable if max_unavailable is not None else 1
        reason, text = ("SufficientPods", "") if allowed > 0 else ("InsufficientPods", "")
        return self.add(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": name, "namespace": namespace},
                "spec": spec,
                "status": {
                    "conditions": [
                        _cond(
                            "DisruptionAllowed",
                            "True" if allowed > 0 else "False",
                            reason,
                            text,
                            self.at("2h"),
                        )
                    ],
                    "currentHealthy": healthy,
                    "desiredHealthy": desired,
                    "disruptionsAllowed": allowed,
                    "expectedPods": expected,
                },
            },
            created=created,
            generation=True,
        )

    def resource_quota(
        self,
        namespace: str,
        name: str,
        hard: dict[str, str],
        *,
        used: dict[str, str] | None = None,
        created: Ago = "60d",
    ) -> dict[str, Any]:
        """A ResourceQuota; `used` defaults to the sums over the namespace's live pods."""
        used = used or _quota_usage(hard, [p for p in self.all_pods() if p.namespace == namespace])
        return self.add(
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"hard": dict(hard)},
                "status": {"hard": dict(hard), "used": used},
            },
            created=created,
        )

    # ----- config, identity, storage ----------------------------------------------------------------
    def configmap(
        self, namespace: str, name: str, data: dict[str, str], *, created: Ago = "30d"
    ) -> dict[str, Any]:
        return self.add(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": namespace},
                "data": dict(data),
            },
            created=created,
        )

    def secret(
        self, namespace: str, name: str, data: dict[str, str], *, type: str = "Opaque", created: Ago = "30d"
    ) -> dict[str, Any]:
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        return self.add(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": namespace},
                "type": type,
                "data": encoded,
            },
            created=created,
        )

    def service_account(self, namespace: str, name: str, *, created: Ago = "45d") -> dict[str, Any]:
        return self.add(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": name, "namespace": namespace},
            },
            created=created,
        )

    def role(
        self, namespace: str | None, name: str, rules: list[dict[str, Any]], *, created: Ago = "45d"
    ) -> dict[str, Any]:
        """A Role (or a ClusterRole when namespace is None)."""
        meta: dict[str, Any] = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        kind = "Role" if namespace else "ClusterRole"
        return self.add(
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules},
            created=created,
        )

    def role_binding(
        self,
        namespace: str | None,
        name: str,
        role: str,
        service_accounts: list[tuple[str, str]],
        *,
        role_kind: str | None = None,
        created: Ago = "45d",
    ) -> dict[str, Any]:
        """A RoleBinding (or ClusterRoleBinding when namespace is None) to ServiceAccounts (ns, name)."""
        meta: dict[str, Any] = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        kind = "RoleBinding" if namespace else "ClusterRoleBinding"
        return self.add(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": kind,
                "metadata": meta,
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": role_kind or ("Role" if namespace else "ClusterRole"),
                    "name": role,
                },
                "subjects": [
                    {"kind": "ServiceAccount", "name": n, "namespace": ns} for ns, n in service_accounts
                ],
            },
            created=created,
        )

    def storage_class(
        self,
        name: str,
        *,
        provisioner: str = "ebs.csi.aws.com",
        default: bool = False,
        parameters: dict[str, str] | None = None,
        created: Ago = "200d",
    ) -> dict[str, Any]:
        annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
        return self.add(
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": name, "annotations": annotations},
                "provisioner": provisioner,
                "parameters": dict(parameters or {"type": name}),
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer",
                "allowVolumeExpansion": True,
            },
            created=created,
        )

    def add(
        self, obj: dict[str, Any], *, created: Ago | datetime = "30d", generation: bool = False
    ) -> dict[str, Any]:
        """Any other object (custom resources included). metadata.uid and creationTimestamp are filled
        in unless given."""
        meta = obj.setdefault("metadata", {})
        if not meta.get("annotations"):
            meta.pop("annotations", None)
        key = f"{obj['kind']}/{meta.get('namespace', '')}/{meta['name']}"
        meta.setdefault("uid", self.ids.uid(key))
        meta.setdefault("creationTimestamp", _ts(self.at(created)))
        if generation:
            meta.setdefault("generation", 1)
        self.objects.append(obj)
        return obj

    # ----- events, traffic, metrics profiles --------------------------------------------------------
    def event(
        self,
        obj: ObjRef,
        reason: str,
        message: str,
        type: str = "Warning",
        count: int = 1,
        first: Ago | datetime | None = None,
        last: Ago | datetime | None = None,
        *,
        field_path: str | None = None,
        component: str = "kubelet",
        host: str | None = None,
    ) -> EventModel:
        """A v1 Event about `obj` (a Pod, workload, ServiceModel, NodeModel, object dict or
        (kind, namespace, name)). Events whose last time is older than the event TTL are not written."""
        involved = self.object_reference(obj)
        if field_path:
            involved["fieldPath"] = field_path
        first_at = self.at(first) if first is not None else self.now - timedelta(minutes=5)
        last_at = self.at(last) if last is not None else first_at
        if component == "kubelet" and host is None and isinstance(obj, Pod):
            host = obj.node
        event = EventModel(
            involved=involved,
            reason=reason,
            message=message,
            type=type,
            count=count,
            first=first_at,
            last=max(last_at, first_at),
            component=component,
            host=host,
            namespace=involved.get("namespace", "default"),
        )
        self.events.append(event)
        return event

    def object_reference(self, obj: ObjRef) -> dict[str, Any]:
        if isinstance(obj, Pod):
            return {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": obj.name,
                "namespace": obj.namespace,
                "uid": obj.uid,
            }
        if isinstance(obj, Deployment | StatefulSet | DaemonSet):
            return {
                "apiVersion": "apps/v1",
                "kind": obj.kind,
                "name": obj.name,
                "namespace": obj.namespace,
                "uid": obj.uid,
            }
        if isinstance(obj, ReplicaSet):
            return {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": obj.name,
                "namespace": obj.deployment.namespace,
                "uid": obj.uid,
            }
        if isinstance(obj, ServiceModel):
            return {
                "apiVersion": "v1",
                "kind": "Service",
                "name": obj.name,
                "namespace": obj.namespace,
                "uid": obj.uid,
            }
        if isinstance(obj, NodeModel):
            return {"kind": "Node", "name": obj.name, "uid": obj.name}
        if isinstance(obj, dict):
            meta = obj["metadata"]
            ref = {
                "apiVersion": obj.get("apiVersion", "v1"),
                "kind": obj["kind"],
                "name": meta["name"],
                "uid": meta.get("uid", ""),
            }
            if meta.get("namespace"):
                ref["namespace"] = meta["namespace"]
            return ref
        kind, namespace, name = obj
        ref = {"kind": kind, "name": name, "uid": self.ids.uid(f"{kind}/{namespace}/{name}")}
        if namespace:
            ref["namespace"] = namespace
        return ref

    def http(
        self,
        workload: Any,
        *,
        service: str | None = None,
        rps: float = 20.0,
        error_ratio: float = 0.001,
        codes: dict[str, float] | None = None,
        latency: float = 0.025,
        spread: float = 0.6,
        changes: list[tuple[Ago, dict[str, Any]]] | None = None,
    ) -> HttpProfile:
        """Application HTTP metrics for a workload's pods (http_requests_total and
        http_request_duration_seconds). `changes` are (ago, {"rps", "codes", "latency"}) steps."""
        dep = self.workload(workload)
        profile = HttpProfile(
            workload=dep,
            service=service or dep.name,
            rps=rps,
            codes=codes or {"200": 1 - error_ratio, "500": error_ratio},
            latency=latency,
            spread=spread,
            changes=[(self.at(at), change) for at, change in changes or []],
        )
        self.http_profiles.append(profile)
        return profile

    def traffic(
        self,
        src: Any,
        dst: Any,
        port: int,
        *,
        service: str | None = "default",
        every: Ago = "2m",
        since: Ago | None = None,
        until: Ago | None = None,
        dropped_since: Ago | None = None,
        drop_reason: str = "POLICY_DENIED",
        rst_since: Ago | None = None,
        http: list[tuple[str, str, int]] | None = None,
        rate: float = 1.0,
    ) -> Traffic:
        """TCP connections src → dst:port (dst container port), one sampled every `every` in the flows.
        From `dropped_since` the SYNs are dropped (with retransmits 1, 2, 4 s apart); from `rst_since`
        the destination answers with RST (nothing listens on the port)."""
        src_w, dst_w = self.workload(src), self.workload(dst)
        svc = None
        if service == "default":
            svc = next(
                (s for s in self.services if s.namespace == dst_w.namespace and s.name == dst_w.name), None
            )
        elif service:
            svc = self.find_service(dst_w.namespace, service)
        item = Traffic(
            src=src_w,
            dst=dst_w,
            port=port,
            service=svc,
            every=duration(every),
            since=self.at(since) if since is not None else self.window_start,
            until=self.at(until) if until is not None else self.now,
            dropped_since=self.at(dropped_since) if dropped_since is not None else None,
            drop_reason=drop_reason,
            rst_since=self.at(rst_since) if rst_since is not None else None,
            http=http,
            rate=rate,
        )
        self.traffic_list.append(item)
        return item

    def dns_query(
        self,
        src: Any,
        query: str,
        *,
        every: Ago = "5m",
        rcode: int = 0,
        ips: list[str] | None = None,
        qtype: str = "A",
        l7: bool = True,
        since: Ago | None = None,
        until: Ago | None = None,
    ) -> DnsTraffic:
        """DNS lookups of `query` by a workload's pods. With `l7`, Hubble sees them as L7 DNS flows (a
        DNS-aware policy sends them through the proxy); otherwise as UDP/53 L3/L4 flows."""
        item = DnsTraffic(
            src=self.workload(src),
            query=query if query.endswith(".") else query + ".",
            every=duration(every),
            since=self.at(since) if since is not None else self.window_start,
            until=self.at(until) if until is not None else self.now,
            rcode=rcode,
            ips=list(ips or []),
            qtype=qtype,
            l7=l7,
        )
        self.dns_list.append(item)
        return item

    def coredns(
        self,
        *,
        rps: float = 40.0,
        rcodes: dict[str, float] | None = None,
        latency: float = 0.0012,
        changes: list[tuple[Ago, dict[str, Any]]] | None = None,
    ) -> DnsProfile:
        """CoreDNS metrics profile (responses by rcode, request latency), with step changes."""
        self.dns_profile = DnsProfile(
            rps=rps,
            rcodes=rcodes or {"NOERROR": 0.86, "NXDOMAIN": 0.14},
            latency=latency,
            changes=[(self.at(at), change) for at, change in changes or []],
        )
        return self.dns_profile

    def raw_log(
        self, namespace: str, pod: str, container: str, lines: list[tuple[Ago, str]], previous: bool = False
    ):
        """Log lines for a pod by name (e.g. a pod not modelled by a workload)."""
        self.extra_logs[(namespace, pod, container, previous)] = [(self.at(a), t) for a, t in lines]


def _owner(api_version: str, kind: str, name: str, uid: str) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "blockOwnerDeletion": True,
        "controller": True,
        "kind": kind,
        "name": name,
        "uid": uid,
    }


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cond(kind: str, status: str, reason: str, message: str, since: datetime) -> dict[str, Any]:
    item = {"lastTransitionTime": _ts(since), "reason": reason, "status": status, "type": kind}
    if message:
        item["message"] = message
    return item


def _matches(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())


def _resolve_int(value: int | str, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = total * int(value[:-1]) / 100
        return int(-(-exact // 1)) if round_up else int(exact)
    return int(value)


def _default_cpu(c: dict[str, Any]) -> float:
    request = c.get("resources", {}).get("requests", {}).get("cpu")
    return round(parse_quantity(request) * 0.35, 4) if request else 0.01


def _default_memory(c: dict[str, Any]) -> float:
    limit = c.get("resources", {}).get("limits", {}).get("memory")
    request = c.get("resources", {}).get("requests", {}).get("memory")
    if limit:
        return parse_quantity(limit) * 0.45
    if request:
        return parse_quantity(request) * 0.7
    return 48 * 2**20


def _quota_usage(hard: dict[str, str], pods: list[Pod]) -> dict[str, str]:
    used: dict[str, str] = {}
    for key in hard:
        if key == "pods":
            used[key] = str(len(pods))
            continue
        scope, _, resource = key.partition(".")
        if scope not in ("requests", "limits") or resource not in ("cpu", "memory"):
            used[key] = "0"
            continue
        total = 0.0
        for pod in pods:
            for c in pod.containers:
                value = c.request(resource) if scope == "requests" else c.limit(resource)
                total += value or 0.0
        used[key] = f"{round(total * 1000)}m" if resource == "cpu" else f"{int(total // 2**20)}Mi"
    return used
