"""Run the web app with uvicorn (``xiaozhen serve``)."""

from __future__ import annotations

import importlib.util
import ipaddress
import logging
import os
from pathlib import Path

from xiaozhen.errors import ConfigError, XiaozhenError

__all__ = ["WebExtraMissingError", "require_web_extra", "serve"]

logger = logging.getLogger(__name__)


class WebExtraMissingError(XiaozhenError, ImportError):
    """FastAPI or uvicorn is not installed."""


def require_web_extra() -> None:
    """Raise with an install hint unless FastAPI and uvicorn are importable."""
    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise WebExtraMissingError(
            f"xiaozhen serve needs {', '.join(missing)}; install the web extra: "
            "pip install 'xiaozhen[web]'"
        )


def serve(
    runs_dir: str | os.PathLike[str] = "runs",
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_jobs: int = 1,
    max_queued: int = 8,
    allow_remote: bool = False,
) -> None:
    """Serve the web app until interrupted.

    Parameters
    ----------
    runs_dir
        Folder of run folders (created if missing).
    host, port
        Address to listen on; a non-loopback ``host`` needs ``allow_remote`` (the app has no
        authentication).
    max_jobs, max_queued
        Plans run at once, and plans that may wait.

    Raises
    ------
    ConfigError
        For a non-loopback host without ``allow_remote`` or a port outside 1–65535.
    WebExtraMissingError
        Without FastAPI/uvicorn.
    """
    require_web_extra()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise ConfigError(f"--host: {host!r} is not an IP address; use e.g. 127.0.0.1") from None
    if not loopback and not allow_remote:
        raise ConfigError(
            f"--host: {host} is reachable from other machines and the app has no login; "
            "keep the default 127.0.0.1, or pass --allow-remote behind your own access control"
        )
    if not 0 < port < 65536:
        raise ConfigError(f"--port: must be 1-65535, received {port}")
    import uvicorn

    from xiaozhen.serve.app import ServeSettings, create_app

    app = create_app(
        ServeSettings(runs_dir=Path(runs_dir), max_jobs=max_jobs, max_queued=max_queued)
    )
    logger.info("serving on http://%s:%d", host, port)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
