"""The Qt user interface (PySide6). Nothing here runs at import time."""
