# TechX API image.
#
#   docker build -t techx .
#   docker run --rm -p 8000:8000 \
#     -e TECHX_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" \
#     -e TECHX_DATABASE_URL=postgresql+asyncpg://techx:techx@db.example:5432/techx \
#     techx
#
# The default command migrates the database, then serves the API with uvicorn
# (`techx serve`). Run `techx worker` in the same image for the job worker.
#
# TECHX_ENV is `production` in this image: TECHX_SECRET_KEY must be provided (the app refuses
# to start with the development default). Keep it stable and identical for every API and worker
# container: it encrypts the stored JWT signing keys and signs pagination cursors.

ARG PYTHON_IMAGE=python:3.11-slim

# -- builder: a virtual environment with the dependencies and the project ----------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv \
 && pip install --upgrade pip

WORKDIR /srv/techx

# Dependencies first, read from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write(chr(10).join(deps) + chr(10))" \
 && pip install -r /tmp/requirements.txt

COPY README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations

# Editable install: `app` is imported from /srv/techx, so migrations/ stays next to app/ (the
# application locates its migrations from the project root), and `techx` lands in the venv.
# The runtime stage keeps both paths unchanged, which the editable install relies on.
RUN pip install --no-deps -e . \
 && python -m compileall -q app migrations

# -- runtime: the venv and the source tree, nothing else --------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TECHX_ENV=production \
    PORT=8000 \
    WEB_CONCURRENCY=2

RUN groupadd --system --gid 10001 techx \
 && useradd --system --uid 10001 --gid techx --home-dir /srv/techx --no-create-home \
      --shell /usr/sbin/nologin techx

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /srv/techx /srv/techx

# The only writable place: the SQLite file when no TECHX_DATABASE_URL is given.
RUN mkdir -p /srv/techx/var && chown techx:techx /srv/techx/var

WORKDIR /srv/techx
USER 10001:10001

EXPOSE 8000

# /healthz answers as soon as uvicorn serves, which is after the migrations have run.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

# `techx serve` runs `techx db upgrade` first (unless TECHX_MIGRATE_ON_START=false), then uvicorn
# with the app factory, --proxy-headers and the given number of worker processes. uvicorn trusts
# X-Forwarded-* only from FORWARDED_ALLOW_IPS (default 127.0.0.1): set it to your proxy's address.
CMD ["sh", "-c", "exec techx serve --host 0.0.0.0 --port \"${PORT:-8000}\" --workers \"${WEB_CONCURRENCY:-2}\""]
