"""Stage 8 — the web app (``xiaozhen serve``): explore the region, run scenarios, compare runs.

Needs the ``web`` extra (FastAPI, uvicorn): ``pip install 'xiaozhen[web]'``. :func:`create_app`
builds the app from :class:`ServeSettings`; :func:`serve` runs it with uvicorn on localhost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ServeSettings", "create_app", "serve"]

if TYPE_CHECKING:
    from xiaozhen.serve.app import ServeSettings, create_app
    from xiaozhen.serve.server import serve


def __getattr__(name: str) -> Any:
    if name in ("ServeSettings", "create_app"):
        from xiaozhen.serve import app

        return getattr(app, name)
    if name == "serve":
        from xiaozhen.serve.server import serve

        return serve
    raise AttributeError(name)
