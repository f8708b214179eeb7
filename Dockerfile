# syntax=docker/dockerfile:1
# The user code image of the `tiktok_assets` code location. One image, three roles:
#   - the code server (the default command), which the webserver and the daemon load from;
#   - every run (K8sRunLauncher starts one Kubernetes Job per run from this image);
#   - the webserver and the daemon of a Docker or VM deployment (override the command).
# Build from the repository root, tagged with the commit, never `latest`:
#   docker build -t registry.example.com/tiktok-assets:$(git rev-parse --short HEAD) .
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    TIKTOK_TRACKED_FILE=/opt/dagster/app/tracked.yaml

# The run launcher's library, at the library version of the pinned dagster (the version of
# dagster-postgres in constraints.txt). For the Docker run launcher: dagster-docker==0.29.27.
ARG RUN_LAUNCHER_PACKAGE=dagster-k8s==0.29.27

WORKDIR /opt/dagster/app
COPY pyproject.toml constraints.txt README.md ./
COPY tiktok_assets/ tiktok_assets/
# The seed ids of the tracked_ids_sensor (or mount another file and set TIKTOK_TRACKED_FILE).
COPY tracked.yaml ./

# The install of scripts/bootstrap (pinned by constraints.txt), without -e and the dev tools,
# with the PostgreSQL extra (dagster-postgres, psycopg) for the instance and the warehouse.
RUN python -m pip install -c constraints.txt ".[postgres]" "${RUN_LAUNCHER_PACKAGE}" \
    && useradd --create-home --uid 10001 dagster \
    && mkdir -p "${DAGSTER_HOME}" \
    && chown dagster "${DAGSTER_HOME}"

# The production instance (PostgreSQL, credentials from the environment) and the workspace
# for a webserver or daemon started from this image. The Helm chart mounts its own instead.
COPY deploy/dagster.yaml deploy/workspace.yaml ${DAGSTER_HOME}/

USER dagster
EXPOSE 3030
CMD ["dagster", "api", "grpc", "-m", "tiktok_assets.definitions", "-h", "0.0.0.0", "-p", "3030"]
