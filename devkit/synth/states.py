"""What can go wrong with a pod, as one call each, with the status and events the control plane writes.

Every helper sets the container timeline (runs, waiting reason, readiness) and records the events the
kubelet or scheduler emits, with the exact message text (see docs/domain.md in the shared docs).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Self

from devkit.synth.clock import Ago, duration
from devkit.synth.model import Container, Run, full_image

BACKOFF_CAP = timedelta(minutes=5)
LogLines = list[str | tuple[Ago, str]]


def backoff_runs(start: datetime, until: datetime, run_seconds: float, first_delay: float = 10) -> list[Run]:
    """Starts of a crash-looping container: kubelet back-off 10s, 20s, 40s ... capped at 5 minutes."""
    runs, t, delay = [], start, timedelta(seconds=first_delay)
    while t < until:
        runs.append(Run(started=t, finished=t + timedelta(seconds=run_seconds)))
        t = t + timedelta(seconds=run_seconds) + delay
        delay = min(delay * 2, BACKOFF_CAP)
    return runs


class PodStates:
    """Mixin of Pod: state changes that keep status, events and metrics consistent."""

    b: Any
    namespace: str
    name: str
    uid: str
    node: str | None
    created: datetime
    containers: list[Container]

    def container(self, name: str | None = None) -> Container:  # implemented by Pod
        raise NotImplementedError

    def _ref(self, container: Container) -> str:
        return f"spec.containers{{{container.name}}}"

    def crash_loop(
        self,
        since: Ago,
        *,
        exit_code: int = 1,
        reason: str = "Error",
        run_seconds: float = 3,
        running_for: Ago | None = None,
        container: str | None = None,
        log: LogLines | None = None,
        previous_log: LogLines | None = None,
    ) -> Self:
        """Container exits shortly after every start since `since`; kubelet backs off (CrashLoopBackOff).

        With `running_for`, the latest restart is running right now (started that long ago) and has not
        crashed yet, as happens between back-offs; otherwise the container is waiting in back-off.
        """
        c = self.container(container)
        start = self.b.at(since)
        if c.runs and c.runs[0].started >= start:  # the pod itself is younger: crash from its first start
            start = c.runs[0].started
        now = self.b.now
        keep_until = now - duration(running_for) if running_for is not None else now
        runs = backoff_runs(start, keep_until, run_seconds)
        prior = [r for r in c.runs if r.started < start]
        if prior and prior[-1].finished is None:
            prior[-1].finished = start - timedelta(seconds=run_seconds)
            prior[-1].reason, prior[-1].exit_code = reason, exit_code
        for run in runs:
            run.reason, run.exit_code, run.ready = reason, exit_code, False
        if runs and runs[-1].finished and runs[-1].finished > keep_until:
            runs[-1].finished = keep_until - timedelta(seconds=1)
        if running_for is not None:
            runs.append(Run(started=keep_until, ready=False))
        c.runs = prior + runs
        crashes = sum(1 for r in c.runs if r.started >= start and r.finished is not None)
        self.b.event(
            self,
            "BackOff",
            f"Back-off restarting failed container {c.name} in pod {self.name}_{self.namespace}({self.uid})",
            count=max(crashes * 2 - 1, 1),
            first=runs[1].started if len(runs) > 1 else start,
            last=now - timedelta(seconds=self.b.ids.number(self.name + "bo", 3, 40)),
            field_path=self._ref(c),
            host=self.node,
        )
        self._restart_events(c, [r.started for r in c.runs[1:] if r.started >= start])
        if log is not None:
            self.log(log, container=c.name)
        if previous_log is not None:
            self.log(previous_log, container=c.name, previous=True)
        return self

    def oom_killed(
        self,
        at: Ago | list[Ago],
        *,
        container: str | None = None,
        restart_after: Ago = "10s",
        ramp: Ago = "20m",
    ) -> Self:
        """The container was OOMKilled (exit 137) at each time in `at`, restarted, and runs again now.

        The working set climbs to the memory limit over `ramp` before each kill (in cAdvisor metrics).
        """
        c = self.container(container)
        times = sorted(self.b.at(a) for a in (at if isinstance(at, list) else [at]))
        gap = duration(restart_after)
        runs = [r for r in c.runs if r.started < times[0]] or [Run(started=self.created + gap)]
        runs[-1].finished, runs[-1].reason, runs[-1].exit_code = times[0], "OOMKilled", 137
        for index, kill in enumerate(times[1:], start=1):
            runs.append(Run(started=times[index - 1] + gap, finished=kill, reason="OOMKilled", exit_code=137))
        runs.append(Run(started=times[-1] + gap))
        c.runs = runs
        self.b.oom_ramps.append((self, c.name, duration(ramp)))
        self._restart_events(c, [r.started for r in runs[1:]])
        return self

    def restarted(
        self,
        at: Ago,
        *,
        reason: str = "Error",
        exit_code: int = 1,
        container: str | None = None,
        restart_after: Ago = "10s",
    ) -> Self:
        """One past exit (reason, exit code) and an immediate restart; running now."""
        c = self.container(container)
        kill = self.b.at(at)
        runs = [r for r in c.runs if r.started < kill] or [Run(started=self.created)]
        runs[-1].finished, runs[-1].reason, runs[-1].exit_code = kill, reason, exit_code
        runs.append(Run(started=kill + duration(restart_after)))
        c.runs = runs
        self._restart_events(c, [runs[-1].started])
        return self

    def image_pull_error(self, since: Ago, *, container: str | None = None, not_found: bool = True) -> Self:
        """The image cannot be pulled: ErrImagePull, then ImagePullBackOff; the container never starts."""
        c = self.container(container)
        image = c.image
        c.runs = []
        c.waiting = ("ImagePullBackOff", f'Back-off pulling image "{image}"')
        start, now = self.b.at(since), self.b.now
        if not_found:
            why = (
                f'rpc error: code = NotFound desc = failed to pull and unpack image "{full_image(image)}": '
                f'failed to resolve reference "{full_image(image)}": {full_image(image)}: not found'
            )
        else:
            why = (
                f'rpc error: code = Unknown desc = failed to pull and unpack image "{full_image(image)}": '
                f'failed to resolve reference "{full_image(image)}": pull access denied, repository does not '
                "exist or may require authorization: server message: insufficient_scope: "
                "authorization failed"
            )
        attempts = max(int((now - start).total_seconds() // 300) + 2, 2)
        ref = self._ref(c)
        last = now - timedelta(seconds=self.b.ids.number(self.name + "pull", 5, 50))
        self.b.event(
            self, "Pulling", f'Pulling image "{image}"', "Normal", attempts, start, last, field_path=ref
        )
        self.b.event(
            self,
            "Failed",
            f'Failed to pull image "{image}": {why}',
            "Warning",
            attempts,
            start,
            last,
            field_path=ref,
        )
        self.b.event(self, "Failed", "Error: ErrImagePull", "Warning", attempts, start, last, field_path=ref)
        self.b.event(
            self,
            "BackOff",
            f'Back-off pulling image "{image}"',
            "Normal",
            attempts * 4,
            start,
            last,
            field_path=ref,
        )
        self.b.event(
            self, "Failed", "Error: ImagePullBackOff", "Warning", attempts * 4, start, last, field_path=ref
        )
        return self

    def config_error(self, since: Ago, message: str, *, container: str | None = None) -> Self:
        """A referenced Secret/ConfigMap or key is missing: CreateContainerConfigError.

        `message` is the kubelet's text, e.g. 'secret "db-creds" not found' or
        "couldn't find key DB_PASSWORD in Secret shop/db-creds".
        """
        c = self.container(container)
        c.runs = []
        c.waiting = ("CreateContainerConfigError", message)
        start, now = self.b.at(since), self.b.now
        count = max(int((now - start).total_seconds() // 60), 1)
        self.b.event(
            self,
            "Failed",
            f"Error: {message}",
            "Warning",
            count,
            start,
            now - timedelta(seconds=self.b.ids.number(self.name + "cfg", 5, 50)),
            field_path=self._ref(c),
        )
        return self

    def cannot_schedule(self, since: Ago, message: str) -> Self:
        """Pending: the scheduler finds no node (message as the scheduler writes it)."""
        self._mark_unschedulable(message)
        start, now = self.b.at(since), self.b.now
        count = max(int((now - start).total_seconds() // 300), 1)
        self.b.event(
            self,
            "FailedScheduling",
            message,
            "Warning",
            count,
            start,
            now - timedelta(seconds=self.b.ids.number(self.name + "sch", 5, 120)),
            component="default-scheduler",
        )
        return self

    def _mark_unschedulable(self, message: str) -> None:
        self.unschedulable = message
        self.b.release_ip(self)
        self.node = None
        for c in self.containers:
            c.runs, c.waiting = [], None

    def not_ready(self, since: Ago, *, message: str | None = None, container: str | None = None) -> Self:
        """Running but the readiness probe fails (pod leaves the Service's ready endpoints)."""
        c = self.container(container)
        c.unready_since = self.b.at(since)
        probe = c.spec.get("readinessProbe", {}).get("httpGet")
        text = message or (
            "Readiness probe failed: HTTP probe failed with statuscode: 503"
            if probe
            else "Readiness probe failed: dial tcp: connect: connection refused"
        )
        count = max(int((self.b.now - c.unready_since).total_seconds() // 5), 1)
        self.b.event(
            self,
            "Unhealthy",
            text,
            "Warning",
            count,
            c.unready_since,
            self.b.now - timedelta(seconds=2),
            field_path=self._ref(c),
        )
        return self

    def log(self, lines: LogLines, *, container: str | None = None, previous: bool = False) -> Self:
        """Container log lines. Plain strings are spread over the run's life, the last one at its end;
        (ago, text) pairs are placed at that time."""
        c = self.container(container)
        run = c.last_terminated if previous else (c.current or (c.runs[-1] if c.runs else None))
        if run is None:
            raise ValueError(f"{self.namespace}/{self.name}: container {c.name} has no run to log for")
        start = run.started
        end = run.finished or self.b.now
        plain = [line for line in lines if isinstance(line, str)]
        span = (end - start).total_seconds()
        stamped: list[tuple[datetime, str]] = []
        index = 0
        for line in lines:
            if isinstance(line, tuple):
                stamped.append((self.b.at(line[0]), line[1]))
                continue
            fraction = (index + 1) / len(plain) if len(plain) > 1 else 1.0
            offset = 0.05 + (span * 0.98 - 0.05) * (index / max(len(plain) - 1, 1)) if plain else 0
            moment = start + timedelta(seconds=min(offset, span - 0.001) if span > 0 else 0)
            if fraction == 1.0:
                moment = end - timedelta(milliseconds=3) if run.finished else moment
            stamped.append((moment, line))
            index += 1
        stamped.sort(key=lambda item: item[0])
        if previous:
            c.previous_log = stamped
        else:
            c.log = stamped
        return self

    def _restart_events(self, c: Container, starts: list[datetime]) -> None:
        """Pulled/Created/Started for restarts (only the ones within the event TTL survive)."""
        if not starts:
            return
        first, last = starts[0], starts[-1]
        ref = self._ref(c)
        n = len(starts)
        self.b.event(
            self,
            "Pulled",
            f'Container image "{c.image}" already present on machine',
            "Normal",
            n,
            first,
            last,
            field_path=ref,
        )
        self.b.event(self, "Created", f"Created container {c.name}", "Normal", n, first, last, field_path=ref)
        self.b.event(self, "Started", f"Started container {c.name}", "Normal", n, first, last, field_path=ref)
