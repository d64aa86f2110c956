from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kubernetes.k8s_builders import NOW
from tests.kubernetes.k8s_scenario import write_shop
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from tools.snapshot.server import SnapshotServer, start_snapshot_server


@pytest.fixture(scope="session")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shop(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="session")
def shop_server(shop_dir: Path) -> Iterator[SnapshotServer]:
    with start_snapshot_server(shop_dir) as server:
        yield server


@pytest.fixture(scope="session")
def kube(shop_server: SnapshotServer) -> Iterator[KubeAccess]:
    access = KubeAccess.from_kubeconfig(str(shop_server.kubeconfig_path))
    yield access
    access.close()


@pytest.fixture
def ctx(kube: KubeAccess) -> ToolContext:
    return ToolContext(settings=Settings(), kube=kube, cluster_name="shop-prod", fixed_now=NOW)
