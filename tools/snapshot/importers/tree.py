"""The input as a tree of regular files: a directory walked without following links, or an archive
unpacked under limits (member count, total size, expansion ratio, per-file size).

Nothing outside the input is ever read: symbolic and hard links are listed as skipped and never
followed or created, absolute and `..` member names are refused, and an archive that ends early keeps
what was read and says where it broke.
"""

from __future__ import annotations

import gzip
import os
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tools.snapshot.importers.report import ImportFailed, Skipped

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with entries, an empty zip
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds for hostile input; generous for real bundles (hundreds of MB, tens of thousands of files)."""

    max_files: int = 200_000
    max_total_bytes: int = 8 * 1024**3
    max_file_bytes: int = 512 * 1024**2  # one JSON file is parsed whole
    max_ratio: int = 250  # unpacked size / archive size, past the first `ratio_floor_bytes`
    ratio_floor_bytes: int = 64 * 1024**2


@dataclass
class InputTree:
    """Regular files under `root`, by POSIX relative path; `skipped` holds what was refused and why."""

    root: Path
    files: list[str]
    skipped: list[Skipped] = field(default_factory=list)
    single_file: bool = False

    def path(self, rel: str) -> Path:
        return self.root.joinpath(*PurePosixPath(rel).parts)

    def size(self, rel: str) -> int:
        return self.path(rel).stat().st_size


def is_archive(path: Path) -> bool:
    if path.name.lower().endswith(ARCHIVE_SUFFIXES):
        return True
    try:
        return path.is_file() and tarfile.is_tarfile(path)
    except (OSError, tarfile.TarError, EOFError, zlib.error):
        return False


@contextmanager
def open_input(source: Path, limits: Limits | None = None) -> Iterator[InputTree]:
    """The input as a tree; an archive is unpacked into a temporary directory removed on exit."""
    limits = limits or Limits()
    if source.is_symlink() and not source.exists():
        raise ImportFailed(f"{source}: a broken symbolic link")
    if not source.exists():
        raise ImportFailed(f"{source}: no such file or directory")
    if source.is_dir():
        yield walk_directory(source, limits)
        return
    packing = "tar" if is_archive(source) else _packing(source)
    if packing is None:
        if source.stat().st_size > limits.max_file_bytes:
            raise ImportFailed(f"{source}: larger than {limits.max_file_bytes:,} bytes; not imported")
        yield InputTree(source.parent, [source.name], single_file=True)
        return
    with tempfile.TemporaryDirectory(prefix="kubewhy-import-") as scratch:
        if packing == "gzip":
            yield InputTree(Path(scratch), [gunzip_file(source, Path(scratch), limits)], single_file=True)
            return
        skipped: list[Skipped] = []
        (extract_zip if packing == "zip" else extract_archive)(source, Path(scratch), limits, skipped)
        tree = walk_directory(Path(scratch), limits)
        tree.skipped[:0] = skipped
        yield tree


def _packing(path: Path) -> str | None:
    """ "gzip" or "zip" by the file's first bytes (a `kubectl get -o json | gzip`, a bundle re-zipped on
    Windows or macOS), whatever its name says; None for anything else."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return None
    if head[:2] == GZIP_MAGIC:
        return "gzip"
    return "zip" if head in ZIP_MAGIC else None


@dataclass
class _Budget:
    """The bytes unpacked so far from one archive, against the limits on the total and the ratio."""

    archive: Path
    limits: Limits
    total: int = 0
    packed: int = field(init=False)

    def __post_init__(self) -> None:
        self.packed = max(self.archive.stat().st_size, 1)

    def take(self, size: int) -> None:
        self.total += size
        if self.total > self.limits.max_total_bytes:
            raise ImportFailed(f"{self.archive}: unpacks to more than {self.limits.max_total_bytes:,} bytes")
        if self.total > self.limits.ratio_floor_bytes and self.total > self.packed * self.limits.max_ratio:
            raise ImportFailed(
                f"{self.archive}: unpacks to more than {self.limits.max_ratio} times its size "
                "(a compression bomb?); not imported"
            )


def _copy_bounded(source: BinaryIO, target: Path, budget: _Budget) -> bool:
    """Copy in chunks, counting the bytes really read (a zip or gzip header may lie about the size);
    False, with nothing left behind, when the file is larger than one file may be."""
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > budget.limits.max_file_bytes:
                break
            budget.take(len(chunk))
            out.write(chunk)
    if written > budget.limits.max_file_bytes:
        target.unlink()
        return False
    return True


def gunzip_file(source: Path, dest: Path, limits: Limits) -> str:
    """One gzip-compressed file (`all.json.gz`) unpacked as the file it holds; returns its name."""
    name = source.name[:-3] if source.name.lower().endswith(".gz") else source.name
    name = name or "unpacked"
    try:
        with gzip.open(source, "rb") as stream:
            whole = _copy_bounded(stream, dest / name, _Budget(source, limits))  # type: ignore[arg-type]
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFailed(f"{source}: a gzip file that cannot be unpacked ({exc}); not imported") from exc
    if not whole:
        raise ImportFailed(f"{source}: unpacks to more than {limits.max_file_bytes:,} bytes; not imported")
    return name


def walk_directory(root: Path, limits: Limits) -> InputTree:
    """Every regular file under root, sorted; links are listed as skipped, never followed."""
    tree = InputTree(root, [])
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(directory)
        for name in sorted(dirnames):
            if (base / name).is_symlink():
                tree.skipped.append(Skipped(_rel(root, base / name), "symbolic link: not followed"))
        dirnames[:] = sorted(d for d in dirnames if not (base / d).is_symlink())
        for name in sorted(filenames):
            path = base / name
            rel = _rel(root, path)
            if path.is_symlink():
                tree.skipped.append(Skipped(rel, "symbolic link: not followed"))
            elif not path.is_file():
                tree.skipped.append(Skipped(rel, "not a regular file"))
            elif path.stat().st_size > limits.max_file_bytes:
                tree.skipped.append(Skipped(rel, f"larger than {limits.max_file_bytes:,} bytes"))
            else:
                tree.files.append(rel)
                if len(tree.files) > limits.max_files:
                    raise ImportFailed(f"{root}: more than {limits.max_files:,} files; not imported")
    tree.files.sort()
    return tree


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def extract_archive(archive: Path, dest: Path, limits: Limits, skipped: list[Skipped]) -> None:
    """Unpack regular files and folders only, within the limits; raise ImportFailed when nothing can be."""
    budget, members = _Budget(archive, limits), 0
    try:
        stream = tarfile.open(archive, mode="r|*")  # noqa: SIM115 - closed in the finally below
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ImportFailed(f"{archive}: not a readable tar archive ({exc})") from exc
    try:
        for member in stream:
            members += 1
            if members > limits.max_files:
                raise ImportFailed(f"{archive}: more than {limits.max_files:,} entries; not imported")
            rel = _member_path(member.name)
            if rel is None:
                skipped.append(Skipped(member.name, "path outside the archive: refused"))
                continue
            if not rel:  # the archive's own top folder, "./"
                continue
            if member.issym():
                skipped.append(Skipped(rel, "symbolic link: not followed"))
                continue
            if member.islnk():
                skipped.append(Skipped(rel, "hard link: not followed"))
                continue
            target = dest.joinpath(*PurePosixPath(rel).parts)
            if member.isdir():
                _mkdir(target, rel, skipped)
                continue
            if not member.isfile():
                skipped.append(Skipped(rel, "not a regular file"))
                continue
            if member.size > limits.max_file_bytes:
                skipped.append(Skipped(rel, f"larger than {limits.max_file_bytes:,} bytes"))
                continue
            budget.take(member.size)
            if not _mkdir(target.parent, str(PurePosixPath(rel).parent), skipped):
                continue
            source = stream.extractfile(member)
            if source is None:
                skipped.append(Skipped(rel, "cannot be read from the archive"))
                continue
            with source, target.open("wb") as out:
                while chunk := source.read(_CHUNK):
                    out.write(chunk)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        if members <= 1:
            raise ImportFailed(f"{archive}: not a readable tar archive ({exc})") from exc
        skipped.append(Skipped(archive.name, _corrupt_after(members - 1, exc)))
    finally:
        stream.close()


def _member_path(name: str) -> str | None:
    """A safe relative path for an archive member ("" for "./"), or None for absolute and `..` names."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        return None
    return "/".join(part for part in path.parts if part not in {"", "."})


def _mkdir(directory: Path, rel: str, skipped: list[Skipped]) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        skipped.append(Skipped(rel, "a file and a folder of the same name: the folder is skipped"))
        return False
    return True


def extract_zip(archive: Path, dest: Path, limits: Limits, skipped: list[Skipped]) -> None:
    """A zip (a bundle re-zipped on Windows or macOS) under the tar path's bounds: entry count, sizes
    counted as read, names inside the archive, links never created."""
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ImportFailed(f"{archive}: not a readable zip archive ({exc})") from exc
    with bundle:
        entries = bundle.infolist()
        if len(entries) > limits.max_files:
            raise ImportFailed(f"{archive}: more than {limits.max_files:,} entries; not imported")
        budget = _Budget(archive, limits)
        for done, entry in enumerate(entries):
            try:
                _zip_entry(bundle, entry, dest, budget, skipped)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                skipped.append(Skipped(archive.name, _corrupt_after(done, exc)))
                return


def _zip_entry(
    bundle: zipfile.ZipFile, entry: zipfile.ZipInfo, dest: Path, budget: _Budget, skipped: list[Skipped]
) -> None:
    """One zip entry: refused, skipped with its reason, a folder made, or a file copied within bounds."""
    rel = _member_path(entry.filename)
    mode = entry.external_attr >> 16
    if rel is None:
        skipped.append(Skipped(entry.filename, "path outside the archive: refused"))
    elif not rel:
        return
    elif stat.S_ISLNK(mode):
        skipped.append(Skipped(rel, "symbolic link: not followed"))
    elif entry.is_dir():
        _mkdir(dest.joinpath(*PurePosixPath(rel).parts), rel, skipped)
    elif stat.S_IFMT(mode) not in {0, stat.S_IFREG}:  # no type bits: DOS and writestr entries
        skipped.append(Skipped(rel, "not a regular file"))
    elif entry.flag_bits & 0x1:
        skipped.append(Skipped(rel, "encrypted in the zip: cannot be read"))
    elif entry.file_size > budget.limits.max_file_bytes:
        skipped.append(Skipped(rel, f"larger than {budget.limits.max_file_bytes:,} bytes"))
    else:
        target = dest.joinpath(*PurePosixPath(rel).parts)
        if _mkdir(target.parent, str(PurePosixPath(rel).parent), skipped):
            with bundle.open(entry) as source:
                if not _copy_bounded(source, target, budget):
                    skipped.append(Skipped(rel, f"larger than {budget.limits.max_file_bytes:,} bytes"))


def _corrupt_after(whole: int, exc: BaseException) -> str:
    return (
        f"the archive is truncated or corrupt after {whole} {'entry' if whole == 1 else 'entries'} "
        f"({exc}); the rest of it could not be read"
    )
