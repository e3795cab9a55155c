"""Folder watching: file-system events merged and debounced into path lists (Qt signals)."""

from .watcher import FolderWatcher

__all__ = ["FolderWatcher"]
