"""The Qt user interface. Importing it applies the PySide6 emit() refcount workaround."""

from . import pyside_fix  # noqa: F401  (must run before any signal is emitted)
