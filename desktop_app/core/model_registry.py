"""Which model to use: imported models live in paths.models_dir(); the active one is recorded in
the library database; the shipped default is the fallback."""

from __future__ import annotations

import errno
import itertools
import json
import logging
import os
import re
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import paths
from ..atomic_file import write_text_atomic
from .encoder import (
    Encoder,
    external_data_inside,
    external_data_locations,
    load_encoder,
    open_model_folder,
)
from .errors import LookalikeError, ModelError
from .model_card import CARD_FILE, ModelCard, parse_card, read_card
from .records import STATUS_OK
from .store import Store

log = logging.getLogger(__name__)

# Files beside a model that an import copies besides its own (a README, evaluation notes):
# small ones only.
NOTE_MAX_BYTES = 1 << 20
# Beside model.json in an imported copy: where the copy came from and when (import_origin).
# A file of its own: the card, and so the model id and the hash checks, stay the source's.
ORIGIN_FILE = "imported-from.json"
ORIGIN_MAX_BYTES = 64 << 10  # a record is a few hundred bytes; anything far bigger is not one
# What the trainer (trainer/rundir.py: MANIFEST, TRAINING) writes into MODEL_DIR/training when
# it prepares the albums and when it has trained: a training/ folder without either is
# someone else's (a user's scripts beside a model), not a run of Lookalike's trainer.
TRAINER_RUN_FILES = ("training.json", "manifest.json")
# A run of several code lengths exports each into MODEL_DIR/<bits>bit/ (trainer/outdir.py:
# model_folders), beside the run's MODEL_DIR/training.
LENGTH_FOLDER = re.compile(r"\d+bit")


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
            # Lookalike reinstalled elsewhere: the same model among the app's, else the default
            # this version ships in place of the earlier version's (gone with it).
            found = _same_model_elsewhere(model_id) or shipped_in_place_of(model)
            if found is not None:
                return found
            raise ModelError(folder, f"the active model '{model['name']}' is no longer in its "
                             "folder", "Import it again with `lookalike models import DIR`, or "
                             "activate another with `lookalike models activate NAME`")
    default = paths.default_model_dir()
    if (default / "model.json").is_file():
        return default
    raise no_model_error()


def app_model_cards(with_default: bool = True) -> list[tuple[Path, ModelCard]]:
    """(folder, card) of every model the app keeps: the shipped default first (unless
    with_default is false), then the folders of the models folder (imported copies, trained
    models); folders being written (an import's `.importing`, a `.partial`) and folders with no
    readable card are left out."""
    candidates = [paths.default_model_dir()] if with_default else []
    if paths.models_dir().is_dir():
        candidates += sorted(p for p in paths.models_dir().iterdir() if p.is_dir()
                             and not p.name.endswith((".importing", ".partial")))
    found = []
    for folder in candidates:
        try:
            found.append((folder, read_card(folder)))
        except ModelError:  # a run still training, a damaged copy, not a model
            continue
    return found


def model_names_in_use(besides: str | os.PathLike | None = None) -> set[str]:
    """The names (lower case, as `models activate NAME` compares them) of the models this
    library knows: those its database records and those of app_model_cards(), the shipped
    default included. The model in the folder `besides` is left out: an export into that folder
    replaces it, so its name is free for the new one."""
    besides = Path(besides).resolve() if besides else None
    names = [card.name for folder, card in app_model_cards() if folder.resolve() != besides]
    names += [m["name"] for m in _recorded_models()
              if not m["path"] or Path(m["path"]).resolve() != besides]
    return {name.lower() for name in names}


def _recorded_models() -> list[dict]:
    """The models in the library's database; none when there is no library yet, or when it
    cannot be read (a warning says so: a name may then be one it knows)."""
    if not paths.database_path().is_file():
        return []
    try:
        with Store(readonly=True) as store:
            return store.models()
    except (LookalikeError, OSError) as exc:
        log.warning("the library's models could not be read (%s): a new model's name is "
                    "checked against the models folder only", exc)
        return []


def distinct_model_name(base: str, folder: str | os.PathLike) -> str:
    """The name for a model about to be written into `folder`: `base` (e.g. "holiday-48bit"),
    or else the first of "holiday-48bit (2)", "(3)"... that no other model of the library has,
    so that the Model tab and `models list` tell them apart and `models activate NAME` finds
    one. The model `folder` holds now (an earlier export of the same run) keeps its name while
    it is one of these and still no other model's: running again does not climb the numbers."""
    taken = model_names_in_use(besides=folder)
    current = _card_name(folder)
    if current is not None and current.lower() not in taken and \
            re.fullmatch(re.escape(base) + r"( \(\d+\))?", current):
        return current
    numbered = (base if n == 1 else f"{base} ({n})" for n in itertools.count(1))
    return next(name for name in numbered if name.lower() not in taken)


def _card_name(folder: str | os.PathLike) -> str | None:
    try:
        return read_card(folder).name
    except ModelError:  # no model there yet, or a damaged one: nothing to keep
        return None


def is_kept_by_app(folder: str | os.PathLike) -> bool:
    """The shipped default or an imported copy, unlike a user's own folder (which may go)."""
    folder = Path(folder).resolve()
    return (folder == paths.default_model_dir().resolve()
            or paths.models_dir().resolve() in folder.parents)


def shipped_in_place_of(record: dict | None) -> Path | None:
    """This installation's default model folder when `record` is the default model an earlier
    installation shipped and its folder went with it (Lookalike reinstalled elsewhere: a new
    Python's site-packages, an app bundle unpacked in another folder). Only a model named
    like the shipped defaults ("default") in a folder named like theirs (.../models/default),
    never an imported copy: a user's own model that is gone (its folder may be called
    models/default too, on a drive not connected now) is said missing, not replaced without a
    word (the whole library would be encoded again with another model)."""
    if not record or not record["path"]:
        return None
    old = Path(record["path"])
    if (record["name"] != paths.DEFAULT_MODEL_NAME or old.name != paths.DEFAULT_MODEL_NAME
            or old.parent.name != "models" or old.exists() or is_kept_by_app(old)):
        return None
    default = paths.default_model_dir()
    return default if (default / CARD_FILE).is_file() else None


def is_shipped_default(record: dict) -> bool:
    """The recorded model's folder is this installation's default folder, or was an earlier
    installation's (gone with it): a model found in its place came with this version."""
    try:
        if os.path.samefile(record["path"], paths.default_model_dir()):
            return True
    except (OSError, TypeError):  # a folder gone (or none recorded)
        pass
    return shipped_in_place_of(record) is not None


def _same_model_elsewhere(model_id: str) -> Path | None:
    """The shipped default or an imported copy holding the same model (same ONNX hash)."""
    return next((folder for folder, card in app_model_cards() if card.model_id == model_id),
                None)


def open_encoder(store: Store, model_dir: str | os.PathLike | None = None, **kwargs) -> Encoder:
    """The encoder for `model_dir` if given (one command's --model), else the active model."""
    if not model_dir:
        return load_encoder(active_model_dir(store), **kwargs)
    encoder = load_encoder(model_dir, **kwargs)
    refuse_other_settings(encoder.card, model_dir, store)
    return encoder


def refuse_other_settings(card: ModelCard, source: str | os.PathLike,
                          store: Store | None = None) -> None:
    """Raise ModelError if the library or the app's model folders know this graph with other
    input/output settings. Codes are keyed by the model id, the graph's hash, so the two cards
    would mix two kinds of codes under one id. Refusing keeps every existing model's id (and so
    its codes) as it is; giving such a card an id of its own would need the id to come from
    more than the graph, which would change the ids existing libraries hold."""
    known: list[tuple[str, str | None, ModelCard]] = []  # (name, folder, card)
    record = store.model(card.model_id) if store is not None else None
    if record is not None:
        rows = store.query("SELECT card FROM models WHERE id = ?", (card.model_id,))
        try:
            known.append((record["name"], record["path"],
                          parse_card(json.loads(rows[0][0]), Path(record["path"] or "."))))
        except (TypeError, ValueError, IndexError, ModelError):
            pass  # no readable card recorded: nothing to compare with
    known += [(other.name, str(folder), other) for folder, other in app_model_cards()
              if other.model_id == card.model_id]
    for name, folder, other in known:
        differ = other.settings_differing_from(card)
        if differ:
            raise ModelError(
                Path(source) / "model.json",
                f"this card ('{card.name}') is for the graph of the model '{name}' (id "
                f"{card.model_id[:12]}" + (f", {folder}" if folder else "") + ") but with "
                f"other {', '.join(differ)}, so it would give other codes under the same id",
                f"Keep using '{name}' as it is; other settings need a model trained for them "
                "(`lookalike train`), which has a graph of its own")


def import_model(source: str | os.PathLike, store: Store | None = None) -> Path:
    """Check a model folder (hash + self-test, codes that vary from photo to photo, and that
    `store`'s library and the imported copies know its graph with no other settings) and copy
    it into the models folder, with a record of where it came from (import_origin). Returns
    the copy's folder; importing the same model twice returns the same folder, whose record
    then stays the first import's unless the copy is replaced (its card changed, or it was
    damaged)."""
    encoder = load_encoder(source, intra_op_threads=1)  # codes that vary included
    card = encoder.card
    refuse_other_settings(card, source, store)
    # At most 64 characters: with the id, well inside any file system's 255 for a name.
    safe_name = "".join(c if c.isalnum() or c in "-_." else "-" for c in card.name)[:64] or "model"
    target = (_imported_copy(card.model_id, store)
              or paths.models_dir() / f"{safe_name}-{card.model_id[:12]}")
    if target.resolve() == Path(source).resolve():
        return target
    if (target / "model.json").is_file():
        try:
            if open_model_folder(target).card == card:
                return target
            # Else only a note changed (description, version...): the copy takes the new card.
        except ModelError:  # the earlier copy was damaged since: replace it with this one
            pass
    tmp = target.with_name(target.name + ".importing")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    wanted: list[str] = []
    try:
        tmp.mkdir()
        wanted = _model_files(Path(source), card)
        for name in wanted:
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(source) / name, tmp / name)
        write_text_atomic(tmp / ORIGIN_FILE, _origin_record(Path(source), card))
        open_model_folder(tmp)  # the copy hashes the same as what we checked
        if target.exists():
            shutil.rmtree(target)
        tmp.replace(target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            needed = sum(_size(Path(source) / n) for n in wanted)
            raise ModelError(target, "the disk is full, so the model was not imported"
                             + (f" (it needs {needed / 1e6:.1f} MB)" if needed else ""),
                             "Free some disk space and import it again") from exc
        raise ModelError(target, f"cannot copy the model here ({exc.strerror or exc})",
                         "Check free space and permissions") from exc
    except BaseException:  # e.g. the copy fails its check: leave no half-made folder behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _model_files(source: Path, card: ModelCard) -> list[str]:
    """The files an import copies: the card, the graph, the ONNX external data files the graph
    names (read from it: weights.bin, one file per tensor...) and small notes. Only what the
    app loads: a trainer's out folder also holds training/ (checkpoints, cached features, often
    100+ MB), and a model downloaded into a Downloads folder sits among videos and installers,
    which must not be copied with it."""
    names = [CARD_FILE, card.onnx_file]
    # The external data the graph names, whatever the name (weights.bin, a file per tensor, in
    # a folder beside it): left out, the copy cannot be loaded.
    onnx_path = source / card.onnx_file
    for location in _external_data(onnx_path):
        if (location not in names and (source / location).is_file()
                and external_data_inside(onnx_path, source, location)):
            names.append(location)
    for p in sorted(source.iterdir()):
        # An imported copy's own record (a copy imported again) is not the new copy's.
        if not p.is_file() or p.name.startswith(".") or p.name in names or p.name == ORIGIN_FILE:
            continue
        if (p.name.startswith(card.onnx_file) or p.suffix == ".data"
                or _size(p) <= NOTE_MAX_BYTES):
            names.append(p.name)
        else:
            log.info("%s: not a model file, left out of the import", p)
    return names


@dataclass(frozen=True)
class ImportOrigin:
    """Where an imported copy came from, as import_model recorded it."""
    source: str  # the folder imported, absolute, as given (a non-UTF-8 name's bytes escaped)
    trainer_run: bool  # that folder was a run folder of Lookalike's trainer
    imported_at: datetime  # in local time
    # The model imported: another model exported into the copy since (`lookalike train export
    # --out` into it) was not imported from there. None: not recorded (a record edited by hand).
    model_id: str | None = None


def is_trainer_run(folder: str | os.PathLike) -> bool:
    """A model folder of a run of Lookalike's trainer (`lookalike train --out`, the app's
    retraining): see trainer_run_files."""
    return trainer_run_files(folder) is not None


def trainer_run_files(folder: str | os.PathLike) -> Path | None:
    """The training/ folder of the trainer's run that exported the model in `folder`, when it
    holds the trainer's own files: folder/training (one code length), or the one beside a
    <bits>bit folder (several lengths); else None."""
    folder = Path(folder)
    places = [folder / "training"]
    if LENGTH_FOLDER.fullmatch(folder.name):
        places.append(folder.parent / "training")
    # os.path.isfile: False, not an error, for a folder that cannot be read (the card asks).
    return next((place for place in places
                 if any(os.path.isfile(place / name) for name in TRAINER_RUN_FILES)), None)


def _origin_record(source: Path, card: ModelCard) -> str:
    # Path.absolute, not resolve: the folder as the user gave it, links and all. json.dumps
    # escapes a non-UTF-8 name's surrogates (\udce4), which json.loads gives back unchanged.
    return json.dumps({"version": 1, "source": str(source.absolute()),
                       "model_id": card.model_id,
                       "trainer_run": is_trainer_run(source),
                       "imported_at": datetime.now(UTC).isoformat(timespec="seconds")},
                      indent=1) + "\n"


def import_origin(folder: str | os.PathLike) -> ImportOrigin | None:
    """The record import_model wrote into its copy; None for a copy an earlier version made,
    and for a record damaged or edited into something else (whoever shows it says less
    rather than fail)."""
    path = Path(folder) / ORIGIN_FILE
    try:
        if not path.is_file():  # none, or a folder or a pipe of that name
            return None
        with open(path, "rb") as f:
            data = f.read(ORIGIN_MAX_BYTES + 1)
        if len(data) > ORIGIN_MAX_BYTES:
            return None
        raw = json.loads(data.decode("utf-8"))
        source, trainer_run, when = raw["source"], raw["trainer_run"], raw["imported_at"]
        model_id = raw.get("model_id")
        if not (isinstance(source, str) and os.path.isabs(source)
                and isinstance(trainer_run, bool) and isinstance(when, str)
                and isinstance(model_id, str | None)):
            return None
        imported_at = datetime.fromisoformat(when)
        if imported_at.tzinfo is None:  # not what import_model writes: its time is unknown
            return None
        return ImportOrigin(source, trainer_run, imported_at.astimezone(), model_id)
    # OverflowError: a date at the ends of the calendar, out of range in local time;
    # RecursionError: JSON nested thousands deep.
    except (OSError, ValueError, TypeError, KeyError, OverflowError, RecursionError):
        return None


def _external_data(onnx_path: Path) -> list[str]:
    """The files inside the model folder that the ONNX graph keeps tensors in (ONNX external
    data), as the graph names them: loading refuses a graph naming others."""
    return list(dict.fromkeys(os.path.normpath(location)
                              for location in external_data_locations(onnx_path)
                              if not os.path.isabs(location)))


def _imported_copy(model_id: str, store: Store | None) -> Path | None:
    """The copy of this model that an import made in the models folder (the one the library
    records first): importing it again under another name takes that folder, with the new card,
    instead of leaving the old copy behind (a whole model's size, never used again). Only a
    folder an import made, named `<name>-<id[:12]>`, not a link, with no training/ inside: the
    retrain dialog trains into the models folder too, and that run's files must stay."""
    folders = [p for p, card in app_model_cards(with_default=False)
               if card.model_id == model_id and p.name.endswith(f"-{model_id[:12]}")
               and not p.is_symlink() and not (p / "training").exists()]
    record = store.model(model_id) if store is not None else None
    recorded = Path(record["path"]) if record is not None and record["path"] else None
    return next((p for p in folders if p == recorded), folders[0] if folders else None)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def encoded_counts(store: Store, unreadable_ids: Collection[int] | None = None
                   ) -> dict[str, int]:
    """Model id -> the readable photos with a code from it: what `models list` prints and the
    Model tab shows ("1,234 of 1,500 encoded"). An unreadable photo keeps its codes (its
    content may be read again) but is not searched, so it is not counted. unreadable_ids: those
    photos' ids when the caller keeps them (the app's indexer does), else read here."""
    if unreadable_ids is None:
        unreadable_ids = [r[0] for r in store.query("SELECT id FROM photos WHERE status != ?",
                                                    (STATUS_OK,))]
    counts = store.codes_per_model()
    for model_id, kept in store.codes_per_model(unreadable_ids).items():
        counts[model_id] -= kept
    return counts


def readable_photos(store: Store) -> int:
    """The photos searched, of which encoded_counts counts those each model encoded."""
    return store.query("SELECT COUNT(*) FROM photos WHERE status = ?", (STATUS_OK,))[0][0]


def models_matching(store: Store, name_or_id: str) -> list[dict]:
    """The library's models with this name or id prefix (what `models activate NAME` finds)."""
    wanted = name_or_id.lower()
    return [m for m in store.models() if m["name"].lower() == wanted or m["id"].startswith(wanted)]


def folders_not_in_library(store: Store) -> list[tuple[Path, ModelCard]]:
    """Model folders in the models folder whose model the library has not recorded yet (a
    model the retrain dialog or `lookalike train --out` made there): the app lists them, so
    `models list` and `models activate NAME` know them too."""
    known = {m["id"] for m in store.models()}
    return [(folder, card) for folder, card in app_model_cards(with_default=False)
            if card.model_id not in known]


def split_replaced(records: list[dict]) -> tuple[list[dict], list[tuple[dict, ModelCard]]]:
    """(the recorded models, [(recorded model, card of the model its folder holds now)]) with
    those whose folder another model was exported into since in the second list: the model
    recorded there before is not there any more, so `models activate NAME` and `models list`
    count that folder once, as the new model's."""
    current, replaced = [], []
    for record in records:
        other = _other_model_in(record)
        if other is None:
            current.append(record)
        else:
            replaced.append((record, other))
    return current, replaced


def _other_model_in(record: dict) -> ModelCard | None:
    """The card of the model in a recorded model's folder when it is another model (for an
    earlier installation's default, gone, the default this one ships in its place)."""
    folder = record["path"]
    if folder and not os.path.isdir(folder) and _same_model_elsewhere(record["id"]) is None:
        folder = shipped_in_place_of(record) or folder
    try:
        card = read_card(folder) if folder else None
    except ModelError:  # gone or damaged: find_model says so
        return None
    return card if card is not None and card.model_id != record["id"] else None


def find_model(store: Store, name_or_dir: str) -> Path:
    """A model folder by path, or by name or id prefix among the models the library knows and
    the model folders in the models folder it has not used yet."""
    # os.path.isdir: a name of 300 characters is no file name (Path.is_dir raises for it)
    if os.path.isdir(name_or_dir):
        return Path(name_or_dir)
    matches, replaced = split_replaced(models_matching(store, name_or_dir))
    wanted = name_or_dir.lower()
    unused = [folder for folder, card in folders_not_in_library(store)
              if card.name.lower() == wanted or card.model_id.startswith(wanted)]
    if len(matches) + len(unused) > 1:
        where = [str(m["path"] or m["id"][:12]) for m in matches] + [str(f) for f in unused]
        raise ModelError(None, f"'{name_or_dir}' matches {len(where)} models: "
                         + ", ".join(where),
                         "Give the model's folder, or more of its id (see `lookalike models "
                         "list`)")
    if unused:
        return unused[0]
    if not matches and replaced:
        m, other = replaced[0]
        if other.name.lower() == wanted:  # what its folder holds now has that name too
            return shipped_in_place_of(m) or Path(m["path"])
        raise ModelError(m["path"], f"the folder of model '{m['name']}' now holds another "
                         f"model, '{other.name}' (id {other.model_id[:12]})",
                         f"Activate '{other.name}' by its name, or import '{m['name']}' again "
                         "from where it was made with `lookalike models import DIR`")
    if not matches:
        # The model a recorded one's folder holds now (shipped in place of an earlier
        # version's default, or exported there since), by its own id or name: what `models
        # list` says to activate.
        for m, other in split_replaced(store.models())[1]:
            if other.model_id.startswith(wanted) or other.name.lower() == wanted:
                return shipped_in_place_of(m) or Path(m["path"])
        raise ModelError(None, f"no model called '{name_or_dir}' is known to this library",
                         "See `lookalike models list`, or give the model's folder")
    if not matches[0]["path"] or not Path(matches[0]["path"]).is_dir():
        found = _same_model_elsewhere(matches[0]["id"])
        if found is not None:  # Lookalike reinstalled elsewhere: its default, or a copy
            return found
        # A model only used with --model is recorded at the user's own folder, never copied.
        imported = matches[0]["path"] and is_kept_by_app(matches[0]["path"])
        raise ModelError(matches[0]["path"], f"the folder of model '{matches[0]['name']}' is gone"
                         + ("" if imported else " (it was only used with --model, never imported)"),
                         f"Import {'it again' if imported else 'its folder'} with "
                         "`lookalike models import DIR`")
    return Path(matches[0]["path"])
