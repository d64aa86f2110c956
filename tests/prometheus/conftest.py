"""One real Prometheus per test module, over the generated OpenMetrics fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devkit.om_fixture import CAPTURED_AT, write_openmetrics
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.prometheus.local import LocalPrometheus, start_local_prometheus

pytestmark = pytest.mark.prometheus


@pytest.fixture(scope="module")
def local_prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrometheus]:
    metrics = write_openmetrics(tmp_path_factory.mktemp("metrics") / "cluster.om")
    with start_local_prometheus([metrics], CAPTURED_AT) as server:
        yield server


@pytest.fixture
def ctx(local_prom: LocalPrometheus) -> Iterator[ToolContext]:
    access = local_prom.access(timeout_s=10)
    yield ToolContext(settings=Settings(), prometheus=access, fixed_now=CAPTURED_AT, cluster_name="test")
    access.close()
