"""Folder watching: file-system events merged and debounced into path lists (Qt signals)."""

from ..ui import pyside_fix  # noqa: F401  (PySide6 6.12 emit() refcount bug, see there)
from .watcher import FolderWatcher

__all__ = ["FolderWatcher"]
