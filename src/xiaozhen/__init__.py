"""xiaozhen: plan characteristic small towns (特色小镇) end to end.

The sub-packages are the pipeline, in the order data flows through them::

    region -> assess -> position -> layout -> design -> simulate -> evaluate -> report / serve -> sweep

A lower stage never imports a higher one.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
