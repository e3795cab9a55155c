"""Lookalike's desktop app and command line."""

# The one place the version is written: pyproject.toml reads it from here (dynamic version), so
# `lookalike --version` is right in a source checkout and a PyInstaller bundle too, where no
# installed distribution's metadata can be read.
__version__ = "0.1.0"
