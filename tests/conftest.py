"""Suite-wide isolation: tests never write into the user's own history database or config."""

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="kubewhy-tests-")
# Set at import time so subprocesses started by tests (kubewhy ask, demo, slack) inherit it too.
os.environ.setdefault("KUBEWHY_DATABASE_URL", f"sqlite:///{_HOME}/history.db")
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"):
    os.environ.pop(_name, None)  # a developer's real model must never answer a test
