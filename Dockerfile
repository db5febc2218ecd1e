# syntax=docker/dockerfile:1.7
# Alpaca Dashboard: one image for the web app (`serve`) and the ingest worker (`follow`).
#   docker build -t alpaca-dash .
#   docker run -p 8080:8080 -e ALPACA_DASH_DATABASE_URL=postgresql://... alpaca-dash

# --- the grid library, from package.json and its lockfile ------------------------------------------------------
FROM node:20-bookworm-slim AS browser-libs
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- the Python wheels -----------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS wheels
WORKDIR /build
RUN pip install --no-cache-dir --upgrade pip
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# --- the runtime -----------------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ALPACA_DASH_HOST=0.0.0.0 \
    ALPACA_DASH_PORT=8080 \
    ALPACA_DASH_DATA_DIR=/var/lib/alpaca-dash \
    ALPACA_DASH_NODE_MODULES=/opt/alpaca-dash/node_modules
RUN groupadd --system --gid 10001 alpaca \
    && useradd --system --uid 10001 --gid alpaca --home-dir /var/lib/alpaca-dash --shell /usr/sbin/nologin alpaca \
    && install -d -o alpaca -g alpaca -m 0750 /var/lib/alpaca-dash
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY --from=browser-libs /build/node_modules /opt/alpaca-dash/node_modules
USER alpaca:alpaca
WORKDIR /var/lib/alpaca-dash
VOLUME ["/var/lib/alpaca-dash"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["alpaca-dash"]
CMD ["serve"]
