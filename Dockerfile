# One Layerscope worker: `streamlit run app.py` on port 8501. Several of them run behind
# HAProxy with deploy/compose.yaml (docker compose -f deploy/compose.yaml up --scale app=4).
# The Python the tests run on (3.11.7).
FROM python:3.11.7-slim-bookworm

# No thread variables: the app sets its BLAS threads from the CPUs the container may
# use (its cgroup quota, e.g. compose's `cpus:`; ui/cpus.py).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 layerscope
WORKDIR /app

# Pinned requirements first, so a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=layerscope:layerscope .streamlit ./.streamlit
COPY --chown=layerscope:layerscope app.py ./
COPY --chown=layerscope:layerscope core ./core
COPY --chown=layerscope:layerscope figures ./figures
COPY --chown=layerscope:layerscope ui ./ui
COPY --chown=layerscope:layerscope views ./views
COPY --chown=layerscope:layerscope lessons ./lessons
COPY --chown=layerscope:layerscope classroom ./classroom
# A class's answers (SQLite, classroom/db.py) unless LAYERSCOPE_DATABASE_URL names a server.
RUN mkdir -p /app/data && chown layerscope:layerscope /app/data

USER layerscope
EXPOSE 8501
# Streamlit's own health endpoint; the slim image has no curl, Python is there.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2).read() != b'ok')"]
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address", "0.0.0.0", \
     "--server.port", "8501", "--server.headless", "true", \
     "--browser.gatherUsageStats", "false"]
