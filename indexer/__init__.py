"""Yokoten indexer: load and validate regional-revitalisation cases, analyse Japanese text,
build and search the index, and export the browser index.

This package never imports MkDocs; ``site_plugins`` adapt it to MkDocs.
"""

from __future__ import annotations

__version__ = "0.1.0"
