"""Exceptions raised by xiaozhen.

Every error a user can cause subclasses a built-in (so ``except ValueError`` keeps working) and
:class:`XiaozhenError`, which the CLI turns into one clear message and exit code 2. Messages name
the parameter, what was received and the fix.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "ConfigError",
    "InfeasibleError",
    "InputDataError",
    "RunFolderError",
    "XiaozhenError",
]


class XiaozhenError(Exception):
    """Base class of every error a user can cause and fix."""


class ConfigError(XiaozhenError, ValueError):
    """A scenario or configuration value is wrong (unknown key, out of range, bad type)."""


class InputDataError(XiaozhenError, ValueError):
    """An input file or table is missing, corrupt, empty or holds values that cannot be used."""


class CRSError(XiaozhenError, ValueError):
    """A coordinate reference system is missing, geographic where metres are needed, or mismatched."""


class InfeasibleError(XiaozhenError, ValueError):
    """An optimisation or design problem has no solution; the message says which constraint and by how much."""


class RunFolderError(XiaozhenError, FileExistsError):
    """A run folder exists already (use ``--force``) or cannot be written."""
