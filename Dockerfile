# kubewhy: the chat page (default), the Slack bot (`kubewhy slack`) and the CLI (`kubewhy ...`) in one image.
#
# Runs as a non-root user with a read-only root filesystem: everything kubewhy, Streamlit and Python write
# goes to /tmp, $HOME and $XDG_DATA_HOME, which the Kubernetes manifests mount as emptyDir volumes
# (deploy/base). No promtool or Prometheus inside: in a cluster kubewhy reads the cluster's Prometheus.
#
#   docker build -t kubewhy:0.1.0 .
#   docker run --rm -p 8501:8501 kubewhy:0.1.0                 # the page
#   docker run --rm kubewhy:0.1.0 kubewhy slack --mode socket  # the Slack bot
#   docker run --rm kubewhy:0.1.0 kubewhy tools list           # the CLI

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY tools ./tools
COPY prompts ./prompts
RUN python -m venv /opt/kubewhy \
 && /opt/kubewhy/bin/pip install --no-cache-dir ".[postgres]" \
 && test -f /opt/kubewhy/lib/python3.11/site-packages/app/ui/main.py

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="kubewhy" \
      org.opencontainers.image.description="Plain-language, read-only diagnosis of a Kubernetes cluster" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 kubewhy \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/kubewhy --create-home \
      --shell /usr/sbin/nologin kubewhy \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/kubewhy
COPY --from=build /opt/kubewhy /opt/kubewhy
ENV PATH=/opt/kubewhy/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/kubewhy \
    XDG_DATA_HOME=/var/lib/kubewhy \
    XDG_CACHE_HOME=/tmp/cache \
    TMPDIR=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_SERVER_RUN_ON_SAVE=false \
    STREAMLIT_CLIENT_TOOLBAR_MODE=viewer \
    KUBEWHY_PAGE=/opt/kubewhy/lib/python3.11/site-packages/app/ui/main.py
WORKDIR /home/kubewhy
USER 10001:10001
EXPOSE 8501
# The page. --host auto: 127.0.0.1 when KUBEWHY_AUTH_HEADER is trusted (the sign-in proxy is a sidecar in
# the pod, as in deploy/base), else 0.0.0.0 (docker run -p, nothing trusted); docs/deploy.md.
CMD ["kubewhy", "ui", "--no-browser", "--host", "auto", "--port", "8501"]
