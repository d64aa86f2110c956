"""Regenerate the committed ``*_pb2.py`` / ``*_pb2_grpc.py`` files from the ``.proto`` files in
tools/flows/proto/.

Run from the repository root with ``python -m devkit.flow_protos`` (needs grpcio-tools, a dev dependency).
Import paths in the ``.proto`` files are relative to the repository root, so the generated modules
import each other as ``tools.flows.proto.*``.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PROTO_DIR = REPO_ROOT / "tools" / "flows" / "proto"
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
