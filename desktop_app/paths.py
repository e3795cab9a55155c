"""Where Lookalike keeps its files. One environment variable, LOOKALIKE_HOME, moves all of them
(tests and portable installs use it). Nothing here creates folders at import time."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Lookalike"
HOME_ENV = "LOOKALIKE_HOME"
DEFAULT_MODEL_NAME = "default"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """The library database and imported models."""
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Disk thumbnail cache and other things that can be rebuilt."""
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    home = _home()
    return (home / "config" if home
            else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)))


def log_dir() -> Path:
    home = _home()
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def database_path() -> Path:
    return data_dir() / "library.sqlite3"


def models_dir() -> Path:
    """Models the user imported (each a folder with model.onnx + model.json)."""
    return data_dir() / "models"


def resources_dir() -> Path:
    """Shipped read-only files: the default model, sample photos, icons."""
    override = os.environ.get("LOOKALIKE_RESOURCES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "resources"


def default_model_dir() -> Path:
    return resources_dir() / "models" / DEFAULT_MODEL_NAME


def sample_photos_dir() -> Path:
    return resources_dir() / "sample-photos"


def pictures_dir() -> Path:
    return Path(platformdirs.user_pictures_dir())
