# syncd image: `docker build -t syncd .` then `docker run -v syncd-data:/data -e SYNCD_MANAGEM__TOKEN=... syncd`
# (or docker compose up: syncd + Postgres 15, see docker-compose.yml).
# Build stage: dependencies from the lock file first (a cached layer), then the app, non-editable.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/syncd
WORKDIR /src
COPY requirements.runtime.lock ./
RUN /opt/syncd/bin/pip install --no-deps -r requirements.runtime.lock
COPY pyproject.toml README.md ./
COPY syncd ./syncd
RUN /opt/syncd/bin/pip install --no-deps . \
 && /opt/syncd/bin/python -m compileall -q /opt/syncd/lib

# Runtime stage: the venv and the migrations, a non-root user, the state directory as a volume.
FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 syncd \
 && useradd --system --uid 10001 --gid syncd --home-dir /data --no-create-home --shell /usr/sbin/nologin syncd \
 && mkdir /data \
 && chown syncd:syncd /data \
 && chmod 0700 /data
COPY --from=build /opt/syncd /opt/syncd
COPY migrations /app/migrations
ENV PATH=/opt/syncd/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SYNCD_DATABASE__URL=sqlite:////data/syncd.db \
    SYNCD_MIGRATIONS_DIR=/app/migrations \
    SYNCD_LOG__FORMAT=json \
    SYNCD_HEALTH__ENABLED=true \
    SYNCD_HEALTH__HOST=127.0.0.1
# One container per SQLite database; never share the volume between two containers or hosts.
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
# syncd handles SIGTERM itself (the running job ends its batch); give it more than
# settings.schedule.stop_timeout: docker stop --time 90 / compose stop_grace_period: 90s.
STOPSIGNAL SIGTERM
# Asks the loopback /healthz inside the container. Plain Docker only marks the container
# unhealthy; a supervisor (compose restart policy, Swarm, Kubernetes) acts on it.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 CMD ["syncd", "healthcheck"]
ENTRYPOINT ["syncd"]
CMD ["run"]
