"""``xiaozhen serve``: the web app on localhost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["serve"]


def serve(
    runs: Annotated[
        Path, typer.Option("--runs", help="Folder of run folders (created if missing).")
    ] = Path("runs"),
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    max_jobs: Annotated[
        int, typer.Option("--max-jobs", min=1, help="Scenarios that run at once.")
    ] = 1,
    max_queued: Annotated[
        int, typer.Option("--max-queued", min=0, help="Scenarios that may wait to run.")
    ] = 8,
    allow_remote: Annotated[
        bool,
        typer.Option("--allow-remote", help="Allow a non-loopback --host (the app has no login)."),
    ] = False,
) -> None:
    """Serve the web app: the region map, scenario runs with progress, reports, comparison, downloads.

    Open http://127.0.0.1:8000/ in a browser; the API is documented at /docs. Works offline.
    """
    from xiaozhen.serve.server import serve as run_server

    typer.echo(f"xiaozhen serve: http://{host}:{port}/  (runs in {runs.resolve()}; Ctrl-C stops)")
    run_server(
        runs,
        host=host,
        port=port,
        max_jobs=max_jobs,
        max_queued=max_queued,
        allow_remote=allow_remote,
    )
