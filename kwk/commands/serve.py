"""``python -m kwk serve RUN [--host 127.0.0.1] [--port 8000]``: a run as a REST service.

The service (FastAPI + uvicorn, see ``kwk.serve.app``) answers ``POST /predict``, ``GET /model``
and ``GET /health``; its OpenAPI page is ``/docs``. With ``KWK_SERVE_TOKEN`` set, every call but
``/health`` needs ``Authorization: Bearer <token>``. See docs/serving.md.
"""
from __future__ import annotations

import os
import sys

from kwk.errors import KwkError

TOKEN_VAR = "KWK_SERVE_TOKEN"


def add(sub) -> None:
    s = sub.add_parser("serve", help="serve a trained run over HTTP (POST /predict, GET /model, "
                                     "GET /health; OpenAPI at /docs)")
    s.add_argument("run_dir", help="the run folder (written by 'train --out DIR')")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 in a container)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--max-rows", type=int, default=10_000, dest="max_rows",
                   help="most rows in one request; more get 413 (default 10000)")
    s.add_argument("--max-body-mb", type=float, default=100.0, dest="max_body_mb",
                   help="largest request body in MB; larger gets 413 (default 100)")
    s.set_defaults(fn=run)


def token_from_env() -> str | None:
    """``$KWK_SERVE_TOKEN``: None when unset; refused when set but blank (a deployment that
    meant to protect the service must not start open)."""
    token = os.environ.get(TOKEN_VAR)
    if token is None:
        return None
    if not token.strip():
        raise KwkError(f"{TOKEN_VAR} is set but empty.",
                       "Set it to a long random secret, or unset it to serve without a token.")
    return token


def run(a) -> int:
    if not 0 <= a.port <= 65535:
        raise KwkError(f"--port {a.port} is not a port number.", "Use e.g. --port 8000.")
    if a.max_body_mb <= 0:
        raise KwkError("--max-body-mb must be positive.")
    try:
        import uvicorn

        from kwk.serve.app import create_app
    except ImportError as e:
        raise KwkError(f"Serving needs FastAPI and uvicorn ({e.name} is not installed).",
                       "pip install fastapi uvicorn")
    token = token_from_env()
    app = create_app(a.run_dir, max_rows=a.max_rows, max_body_mb=a.max_body_mb, token=token)
    info = app.state.service.info
    print(f"Serving {info['target']} ({info['task']}) from {a.run_dir} on "
          f"http://{a.host}:{a.port} (OpenAPI: /docs); access token: "
          f"{'required' if token else 'none'}.", file=sys.stderr, flush=True)
    if not token and a.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: anyone who can reach {a.host}:{a.port} can use this model; set "
              f"{TOKEN_VAR} to require a token.", file=sys.stderr, flush=True)
    try:
        uvicorn.run(app, host=a.host, port=a.port, log_level="info", server_header=False,
                    timeout_graceful_shutdown=10)
    except OSError as e:  # the port is taken, the address is not ours
        raise KwkError(f"Cannot listen on {a.host}:{a.port}: {e.strerror or e}.",
                       "Choose another --port, or stop what uses this one.")
    return 0
