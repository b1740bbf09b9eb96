"""CLI commands beyond validate/new/schema. Each submodule registers itself in ``cli.EXTRA_COMMANDS``.

Submodules are imported lazily by the CLI only; each keeps its heavy imports inside its handler.
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
