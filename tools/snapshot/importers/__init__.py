"""Take in what people already have: troubleshoot.sh support bundles, `kubectl cluster-info dump`
output, OpenShift must-gathers and plain `kubectl get -o json|yaml` files, written as a kubewhy
snapshot (contracts section 1).

`import_input` is `kubewhy snapshot import`; `import_foreign` is what `--snapshot PATH` falls back to
when PATH is not a kubewhy snapshot, so every command accepts the same inputs.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path, PurePosixPath

from tools.snapshot.hints import CAPTURE, WHAT_TO_DO
from tools.snapshot.importers import cluster_dump, must_gather, sonobuoy, troubleshoot
from tools.snapshot.importers.documents import GO_STRUCTS, TABLE, BadFile, is_table, read_text
from tools.snapshot.importers.intake import Intake
from tools.snapshot.importers.report import ImportFailed, ImportReport, Skipped
from tools.snapshot.importers.tree import ARCHIVE_SUFFIXES, InputTree, Limits, open_input, walk_directory
from tools.snapshot.writer import SnapshotWriter

__all__ = ["ImportFailed", "ImportReport", "Limits", "Skipped", "import_foreign", "import_input"]

KUBECTL_FORMAT, KUBECTL_LABEL = "kubectl", "`kubectl get -o json|yaml` output"


def import_input(
    source: Path, out: Path, *, name: str | None = None, limits: Limits | None = None
) -> ImportReport:
    """Import `source` (a folder, an archive or one file) into the snapshot directory `out`."""
    existed = out.exists()
    with open_input(source, limits) as tree:
        try:
            return import_tree(tree, source, out, name=name)
        except BaseException:
            if out.is_dir() and not (out / "snapshot.yaml").exists():
                if existed:  # it was empty: leave it empty
                    for child in out.iterdir():
                        shutil.rmtree(child) if child.is_dir() else child.unlink()
                else:
                    shutil.rmtree(out)
            raise


def import_tree(tree: InputTree, source: Path, out: Path, *, name: str | None = None) -> ImportReport:
    if not tree.single_file and any(
        rel.split("/")[-1] == "snapshot.yaml" and rel.count("/") <= 1 for rel in tree.files
    ):
        raise ImportFailed(f"{source}: already a kubewhy snapshot; use it as it is")
    intake = Intake(tree, SnapshotWriter.into_empty(out))
    fmt, label, version, captured, captured_from = _read_format(intake)
    _catch_all(intake)
    if not intake.kinds:
        raise ImportFailed(_unrecognized(source, intake))
    return intake.finish(
        fmt,
        label,
        name or _default_name(source),
        kubernetes_version=version,
        captured_at=captured,
        captured_at_source=captured_from,
        description=f"imported by kubewhy from {label} ({source.name})",
    )


def _read_format(intake: Intake) -> tuple[str, str, str | None, datetime | None, str]:
    """(format, label, Kubernetes version, capture time if recorded, where that time came from)."""
    tree = intake.tree
    if tree.single_file:
        rel = tree.files[0]
        try:
            text = read_text(tree.path(rel))
        except BadFile as exc:
            intake.skip(rel, str(exc))
            return KUBECTL_FORMAT, KUBECTL_LABEL, None, None, ""
        if cluster_dump.looks_like_stdout(text):
            cluster_dump.read_stdout(intake, rel, text)
            return cluster_dump.FORMAT, f"{cluster_dump.LABEL} printed to stdout", None, None, ""
        return KUBECTL_FORMAT, KUBECTL_LABEL, None, None, ""  # the catch-all reads the file
    base = troubleshoot.find_base(tree)
    if base is not None:
        version = troubleshoot.read_bundle(intake, base)
        return troubleshoot.FORMAT, troubleshoot.LABEL, version, None, ""
    base = sonobuoy.find_base(tree)
    if base is not None:
        return sonobuoy.FORMAT, sonobuoy.LABEL, sonobuoy.read_results(intake, base), None, ""
    bases = must_gather.find_bases(tree)
    if bases:
        times = [t for t in (must_gather.read_gather(intake, b) for b in bases) if t is not None]
        if times:
            return must_gather.FORMAT, must_gather.LABEL, None, max(times), "the must-gather timestamp file"
        return must_gather.FORMAT, must_gather.LABEL, None, None, ""
    base = cluster_dump.find_base(tree)
    if base is not None:
        cluster_dump.read_directory(intake, base)
        return cluster_dump.FORMAT, cluster_dump.LABEL, None, None, ""
    return KUBECTL_FORMAT, KUBECTL_LABEL, None, None, ""


def _catch_all(intake: Intake) -> None:
    """Files no reader claimed: objects where they parse as objects, otherwise skipped with the reason."""
    for rel in intake.leftovers():
        suffix = Path(rel).suffix.lower()
        if suffix in {".json", ".yaml", ".yml"} or intake.tree.single_file:
            intake.add_file(rel)
        elif suffix == ".log":
            intake.skip(rel, _unplaced_log(intake, rel))
        elif _is_table_file(intake, rel):
            intake.skip(rel, TABLE)
        else:
            intake.skip(rel, "not read: kubewhy imports Kubernetes objects (.json, .yaml) and container logs")


def _is_table_file(intake: Intake, rel: str) -> bool:
    """A `kubectl get` table saved beside the objects (pods.txt): say what it is and how to get objects."""
    try:
        with intake.tree.path(rel).open("rb") as handle:
            head = handle.read(4096).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    return is_table(head)


def _unplaced_log(intake: Intake, rel: str) -> str:
    """Why a log file was not placed, in true words: its path names no pod of the input, or names one
    without telling which container (or which of several pods of that name) it belongs to."""
    names = [part.removesuffix(".log").removesuffix("-previous") for part in PurePosixPath(rel).parts]
    pod = next((name for name in reversed(names) if name in intake.pods), None)
    if pod is None:
        return "a log file whose path names no pod in the input"
    return f"a log file of pod {pod} whose path does not tell which container (or which pod so named) it is"


def _unrecognized(source: Path, intake: Intake) -> str:
    if any(s.reason == GO_STRUCTS for s in intake.skipped):
        return f"{source}: {GO_STRUCTS}"
    table = next((s.file for s in intake.skipped if s.reason == TABLE), None)
    if table is not None:  # what to run instead is the whole answer
        return f"{source}: {TABLE}" if intake.tree.single_file else f"{source}: {table} holds {TABLE}"
    first = next((s for s in intake.skipped if s.reason), None)
    if first:
        detail = f" (first: {first.file}: {first.reason})"
    elif intake.empty:
        detail = f" ({intake.empty[0]}: an empty list, 0 objects)"
    else:
        detail = " (it holds no files)"
    return f"{source}: no Kubernetes objects found{detail}; {WHAT_TO_DO}"


def _default_name(source: Path) -> str:
    """The file name without what packs it (.tar.gz, .zip, .gz) and then what it holds (all.json.gz: all)."""
    name = source.resolve().name
    for suffixes in ((*ARCHIVE_SUFFIXES, ".zip", ".gz"), (".json", ".yaml", ".yml", ".txt")):
        name = next((name[: -len(s)] for s in suffixes if name.lower().endswith(s)), name)
    return name or "imported"


def import_foreign(
    source: Path, root: Path | None, extracted: tempfile.TemporaryDirectory[str] | None
) -> tuple[Path, tempfile.TemporaryDirectory[str]]:
    """`--snapshot PATH` when PATH is not a kubewhy snapshot: import it into a temporary directory and say
    on stderr what was detected. `root` is the folder to read (an archive already unpacked by the loader
    into `extracted`), or None for a single file. Returns the snapshot written and the directory holding it
    (the caller removes it with the snapshot). Raises ImportFailed with the loader's own words first."""
    scratch = tempfile.TemporaryDirectory(prefix="kubewhy-imported-")
    try:
        if root is not None and (root / "resources").is_dir():  # a kubewhy snapshot that lost its meta file
            raise ImportFailed(
                f"{source}: missing snapshot.yaml, so not a kubewhy snapshot; put it back, or {CAPTURE}"
            )
        if root is None:
            with open_input(source) as tree:
                report = import_tree(tree, source, Path(scratch.name) / "snapshot")
        else:
            report = import_tree(walk_directory(root, Limits()), source, Path(scratch.name) / "snapshot")
    except ImportFailed as exc:
        scratch.cleanup()
        raise ImportFailed(_as_loader_message(source, root, str(exc))) from None
    finally:
        if extracted is not None:
            extracted.cleanup()
    print(f"kubewhy: {report.detected_line(source)}", file=sys.stderr)
    skipped = report.skipped_line()
    if skipped:
        print(f"kubewhy: {skipped}", file=sys.stderr)
    return report.out, scratch


def _as_loader_message(source: Path, root: Path | None, message: str) -> str:
    """Keep the loader's own words first, so "not a snapshot" reads the same as before imports existed."""
    if "no Kubernetes objects found" not in message:
        return message
    lead = "not a kubewhy snapshot" if root is None else "missing snapshot.yaml"
    return message.replace(f"{source}: ", f"{source}: {lead}, and ", 1)
