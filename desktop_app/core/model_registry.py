"""Which model to use: imported models live in paths.models_dir(); the active one is recorded in
the library database; the shipped default is the fallback."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from .. import paths
from .encoder import Encoder, load_encoder, open_model_folder
from .errors import ModelError
from .model_card import read_card
from .store import Store


def no_model_error() -> ModelError:
    return ModelError(paths.default_model_dir(), "no model is active and the default model is "
                      "missing from this installation",
                      "Import one with `lookalike models import DIR`, train one with "
                      "`lookalike train ALBUMS --out DIR`, or pass `--model DIR`")


def active_model_dir(store: Store) -> Path:
    """The folder of the library's active model, else the shipped default. Raises ModelError."""
    model_id = store.active_model_id()
    if model_id:
        model = store.model(model_id)
        if model and model["path"]:
            folder = Path(model["path"])
            if folder.is_dir():
                return folder
            found = _same_model_elsewhere(model_id)
            if found is not None:  # e.g. the app was reinstalled elsewhere
                return found
            raise ModelError(folder, f"the active model '{model['name']}' is no longer in its "
                             "folder", "Import it again with `lookalike models import DIR`, or "
                             "activate another with `lookalike models activate NAME`")
    default = paths.default_model_dir()
    if (default / "model.json").is_file():
        return default
    raise no_model_error()


def _same_model_elsewhere(model_id: str) -> Path | None:
    """The shipped default or an imported copy holding the same model (same ONNX hash)."""
    candidates = [paths.default_model_dir()]
    if paths.models_dir().is_dir():
        candidates += sorted(p for p in paths.models_dir().iterdir() if p.is_dir())
    for folder in candidates:
        try:
            if read_card(folder).model_id == model_id:
                return folder
        except ModelError:
            continue
    return None


def open_encoder(store: Store, model_dir: str | os.PathLike | None = None, **kwargs) -> Encoder:
    """The encoder for `model_dir` if given (one command's --model), else the active model."""
    return load_encoder(Path(model_dir) if model_dir else active_model_dir(store), **kwargs)


def import_model(source: str | os.PathLike) -> Path:
    """Check a model folder (hash + self-test) and copy it into the models folder.
    Returns the copy's folder; importing the same model twice returns the same folder."""
    encoder = load_encoder(source, intra_op_threads=1)
    card = encoder.card
    safe_name = "".join(c if c.isalnum() or c in "-_." else "-" for c in card.name) or "model"
    target = paths.models_dir() / f"{safe_name}-{card.model_id[:12]}"
    if target.resolve() == Path(source).resolve():
        return target
    if (target / "model.json").is_file():
        try:
            open_model_folder(target)
            return target
        except ModelError:  # the earlier copy was damaged since: replace it with this one
            pass
    tmp = target.with_name(target.name + ".importing")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    wanted: list[str] = []
    try:
        # Only what the app loads (and small notes beside it): a trainer's out folder also
        # holds training/ with checkpoints and cached features, often 100+ MB.
        tmp.mkdir()
        wanted = [p.name for p in Path(source).iterdir()
                  if p.is_file() and not p.name.startswith(".")] + [card.onnx_file]
        for name in dict.fromkeys(wanted):
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(source) / name, tmp / name)
        open_model_folder(tmp)  # the copy hashes the same as what we checked
        if target.exists():
            shutil.rmtree(target)
        tmp.replace(target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            needed = sum(_size(Path(source) / n) for n in dict.fromkeys(wanted))
            raise ModelError(target, "the disk is full, so the model was not imported"
                             + (f" (it needs {needed / 1e6:.1f} MB)" if needed else ""),
                             "Free some disk space and import it again") from exc
        raise ModelError(target, f"cannot copy the model here ({exc.strerror or exc})",
                         "Check free space and permissions") from exc
    except BaseException:  # e.g. the copy fails its check: leave no half-made folder behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def find_model(store: Store, name_or_dir: str) -> Path:
    """A model folder by path, by name, or by id prefix among the models the library knows."""
    if Path(name_or_dir).is_dir():
        return Path(name_or_dir)
    wanted = name_or_dir.lower()
    matches = [m for m in store.models()
               if m["name"].lower() == wanted or m["id"].startswith(wanted)]
    if not matches:
        raise ModelError(None, f"no model called '{name_or_dir}' is known to this library",
                         "See `lookalike models list`, or give the model's folder")
    if len(matches) > 1:
        raise ModelError(None, f"'{name_or_dir}' matches {len(matches)} models",
                         "Use more of the model id (see `lookalike models list`)")
    if not matches[0]["path"] or not Path(matches[0]["path"]).is_dir():
        raise ModelError(matches[0]["path"], f"the folder of model '{matches[0]['name']}' is gone",
                         "Import it again with `lookalike models import DIR`")
    return Path(matches[0]["path"])
