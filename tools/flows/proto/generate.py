"""Regenerate the committed ``*_pb2.py`` / ``*_pb2_grpc.py`` files from the ``.proto`` files here.

Run from anywhere with ``python -m tools.flows.proto.generate`` (needs grpcio-tools, a dev dependency).
Import paths in the ``.proto`` files are relative to the repository root, so the generated modules
import each other as ``tools.flows.proto.*``.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

PROTO_DIR = Path(__file__).resolve().parent
REPO_ROOT = PROTO_DIR.parents[2]
PROTOS = ("flow.proto", "relay.proto", "observer.proto")


def main() -> int:
    from grpc_tools import protoc

    include = str(resources.files("grpc_tools") / "_proto")
    for name in PROTOS:
        relative = (PROTO_DIR / name).relative_to(REPO_ROOT)
        args = ["protoc", f"-I{REPO_ROOT}", f"-I{include}", f"--python_out={REPO_ROOT}"]
        if name == "observer.proto":
            args.append(f"--grpc_python_out={REPO_ROOT}")
        args.append(str(relative))
        if protoc.main(args) != 0:
            print(f"protoc failed on {relative}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
