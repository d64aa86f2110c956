"""Read a snapshot's log file as a stream of bounded lines, from at most its last READ_LIMIT bytes.

A kubelet rotates container logs at 10 MiB by default, so a bigger file did not come from one; reading
only its end keeps time and memory bounded for any file, and the end is where a crash explains itself.
Lines are split at "\\n" only, as the kubelet does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tools.log_lines import LINE_LIMIT, cut_bytes

READ_LIMIT = 16 * 1024 * 1024
_CHUNK = 1024 * 1024


def log_lines(path: Path) -> Iterator[bytes]:
    """The file's lines (without their newline); long lines cut, a skipped beginning said in a first line."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > READ_LIMIT:
            handle.seek(size - READ_LIMIT)
            skipped = size - READ_LIMIT + _skip_line(handle)  # start at a line boundary
            yield (
                f"[kubewhy: the first {skipped:,} bytes of this {size:,}-byte log were not read; "
                f"the snapshot server reads the last {READ_LIMIT // (1024 * 1024)} MiB]"
            ).encode()
        while line := handle.readline(LINE_LIMIT + 1):
            if line.endswith(b"\n"):
                yield line[:-1]
            elif len(line) <= LINE_LIMIT:
                yield line  # the last line, without a newline
            else:
                yield cut_bytes(line, _skip_line(handle))


def _skip_line(handle: BinaryIO) -> int:
    """Read past the rest of the current line in bounded chunks; the bytes skipped (newline excluded)."""
    skipped = 0
    while chunk := handle.readline(_CHUNK):
        if chunk.endswith(b"\n"):
            return skipped + len(chunk) - 1
        skipped += len(chunk)
    return skipped
