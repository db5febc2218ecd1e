# syntax=docker/dockerfile:1.7
# Alpaca Dashboard: one image for the web app (`serve`) and the ingest worker (`follow`).
#   docker build -t alpaca-dash .
#   docker run -p 8080:8080 -e ALPACA_DASH_DATABASE_URL=postgresql://... alpaca-dash
# The Python packages are exactly those of requirements.lock (`make lock`), checked against their hashes.

# --- the grid library, from package.json and its lockfile ------------------------------------------------------
FROM node:20-bookworm-slim AS browser-libs
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- the application's wheel (its dependencies come from the lock file, not from here) --------------------------
FROM python:3.11-slim-bookworm AS wheels
WORKDIR /build
RUN pip install --no-cache-dir --upgrade pip
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# --- the runtime -----------------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ALPACA_DASH_HOST=0.0.0.0 \
    ALPACA_DASH_PORT=8080 \
    ALPACA_DASH_DATA_DIR=/var/lib/alpaca-dash \
    ALPACA_DASH_PARQUET_DIR=/var/lib/alpaca-dash/parquet \
    ALPACA_DASH_NODE_MODULES=/opt/alpaca-dash/node_modules
# the data folders exist in the image, owned by the app's user: a named volume mounted on one of them starts as a
# copy of it, so the non-root app can write there (a folder the image lacks would be created root-owned)
RUN groupadd --system --gid 10001 alpaca \
    && useradd --system --uid 10001 --gid alpaca --home-dir /var/lib/alpaca-dash --shell /usr/sbin/nologin alpaca \
    && install -d -o alpaca -g alpaca -m 0750 /var/lib/alpaca-dash /var/lib/alpaca-dash/parquet \
    && install -d -m 0755 /data/runs
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels
COPY --from=browser-libs /build/node_modules /opt/alpaca-dash/node_modules
USER alpaca:alpaca
WORKDIR /var/lib/alpaca-dash
VOLUME ["/var/lib/alpaca-dash"]
EXPOSE 8080
# the address and port from the app's own settings (ALPACA_DASH_HOST, ALPACA_DASH_PORT, secret files, config file)
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \
    CMD ["python", "-m", "alpaca_dash.healthcheck"]
ENTRYPOINT ["alpaca-dash"]
CMD ["serve"]
