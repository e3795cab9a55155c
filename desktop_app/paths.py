"""Where Lookalike keeps its files. One environment variable, LOOKALIKE_HOME, moves all of them
(tests and portable installs use it). Nothing here creates folders at import time."""

from __future__ import annotations

import importlib.util
import os
import stat
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


def file_in_the_way(path: Path) -> Path | None:
    """The file standing where a folder of `path` should be (LOOKALIKE_HOME set to a file, a
    file named `data`...), or None: what a message should name instead of "File exists".
    None also when a folder on the way cannot be looked into (no permission): Path.exists()
    raises there, and this is called while handling the error it caused."""
    for parent in path.parents:
        try:
            st = parent.stat()
        except (FileNotFoundError, NotADirectoryError):  # not there: look further up
            continue
        except OSError:  # cannot be looked into: not known to be a file
            return None
        return None if stat.S_ISDIR(st.st_mode) else parent
    return None


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
    # A source checkout and the PyInstaller bundle keep resources/ beside the app (the default
    # model's folder tells it from a foreign "resources" folder in site-packages); an installed
    # wheel holds it as the data-only package lookalike_resources (see pyproject.toml).
    beside = Path(__file__).resolve().parent.parent / "resources"
    if (beside / "models" / DEFAULT_MODEL_NAME).is_dir():
        return beside
    spec = importlib.util.find_spec("lookalike_resources")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return beside  # nothing found: the callers report the missing file


def default_model_dir() -> Path:
    return resources_dir() / "models" / DEFAULT_MODEL_NAME


def sample_photos_dir() -> Path:
    return resources_dir() / "sample-photos"


def pictures_dir() -> Path:
    return Path(platformdirs.user_pictures_dir())
