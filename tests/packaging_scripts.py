"""The scripts in packaging/, loaded by file path for the tests: packaging/ is no Python package
(the name `packaging` is taken by the PyPA library the tests also import)."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

PACKAGING = Path(__file__).resolve().parent.parent / "packaging"


@functools.cache
def packaging_script(name: str) -> ModuleType:
    """packaging/<name>.py as a module (loaded once)."""
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
