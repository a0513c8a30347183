# KwK's REST service: one trained run folder served over HTTP (see docs/serving.md).
#
#   docker build -t kwk-serve .
#   docker run --rm -p 8000:8000 -v "$PWD/run:/model:ro" -e KWK_SERVE_TOKEN=... kwk-serve
#
# The run folder (written by `python -m kwk train ... --out run` or downloaded from the app) is
# mounted at /model, read-only. TLS and the public address belong to the portal's proxy.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=3 \
    TF_ENABLE_ONEDNN_OPTS=0 \
    KERAS_BACKEND=tensorflow

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY kwk/ kwk/

# No root inside the container; the model is only read.
RUN useradd --create-home --uid 10001 kwk
USER kwk

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"

# python -m kwk serve /model --host 0.0.0.0 (exec form: docker stop reaches Python directly)
CMD ["python", "-m", "kwk", "serve", "/model", "--host", "0.0.0.0"]
