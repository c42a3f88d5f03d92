"""Dask plumbing: the optional import, a client on a local or existing cluster, an executor wrapper.

Dask is an optional extra (``pip install 'xiaozhen[sweep]'``). :func:`dask_client` yields a
``distributed.Client``: on an existing scheduler when an address is given, otherwise on a
``LocalCluster`` of worker *processes* (one thread each, so numpy work does not fight the GIL)
listening on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

from xiaozhen.errors import ConfigError

__all__ = ["ProgressExecutor", "dask_client", "require"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_INSTALL_HINT = "install the sweep extra: pip install 'xiaozhen[sweep]' (dask, distributed, SALib)"


def require(module: str) -> Any:
    """Import an optional dependency of the sweep extra or raise with the install hint.

    Raises
    ------
    ConfigError
        If the module is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"{module} is not installed; {_INSTALL_HINT}") from None


@contextlib.contextmanager
def dask_client(
    *, scheduler: str | None = None, workers: int | None = None, silence_logs: int = logging.ERROR
) -> Iterator[Any]:
    """A ``distributed.Client`` for the duration of the block, closed afterwards.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``); the cluster is not shut down.
    workers
        Worker processes of the local cluster (default: the machine's cores). Ignored with
        ``scheduler``.
    silence_logs
        Log level of the local cluster's own logging.

    Raises
    ------
    ConfigError
        If dask/distributed is missing, ``workers`` < 1, or the scheduler cannot be reached.
    """
    distributed = require("distributed")
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"--scheduler: cannot reach a Dask scheduler at {scheduler!r} ({exc}); start one "
                "with `dask scheduler` and give its tcp://host:port address"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ConfigError(f"--workers: must be at least 1, received {n}")
    cluster = distributed.LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=silence_logs,
    )
    client = distributed.Client(cluster)
    logger.info("local Dask cluster: %d worker processes on 127.0.0.1", n)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


class ProgressExecutor(Executor):
    """An executor that forwards to another and reports each submitted and finished task.

    ``on_submit()`` runs when a task is submitted, ``on_done()`` when it finishes (in whatever
    thread completes the future), so a progress bar can follow tasks submitted deep inside a
    library function such as :func:`xiaozhen.plan.run_plan`.
    """

    def __init__(
        self,
        inner: Executor,
        *,
        on_submit: Callable[[], None] | None = None,
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self._inner = inner
        self._on_submit = on_submit
        self._on_done = on_done

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Submit ``fn(*args, **kwargs)`` to the inner executor."""
        future = self._inner.submit(fn, *args, **kwargs)
        if self._on_submit is not None:
            self._on_submit()
        if self._on_done is not None:
            done = self._on_done
            future.add_done_callback(lambda _f: done())
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the inner executor down."""
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)
