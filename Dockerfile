# botloop as a container: the whole bot in one process, its web server on $PORT,
# the SQLite store on the /data volume. Build: docker build -t botloop .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PORT=8080 \
    BOT_HOST=0.0.0.0 \
    DATA_DIR=/data

WORKDIR /app

# Dependencies in a layer of their own: a code change does not reinstall them.
COPY requirements.txt .
RUN sed '/^\.\[all\]$/d' requirements.txt > /tmp/deps.txt \
    && pip install -r /tmp/deps.txt

COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-deps '.[all]'
COPY plugins ./plugins

RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data && chown bot:bot /data
USER bot
VOLUME ["/data"]
EXPOSE 8080

# SIGTERM is the bot's graceful stop: handlers in flight get BOT_SHUTDOWN_GRACE seconds.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=4)"

CMD ["python", "-m", "bot"]
