"""The Model tab's card as HTML: what the active model is for, its code, what it was trained on,
how good it is and where it came from, in plain words; the card's technical records behind a
link (DETAILS_LINK); or what is wrong when there is no model to show."""

from __future__ import annotations

import html
import math
import time
from pathlib import Path
from typing import Any

from .. import paths
from ..core.errors import printable
from ..core.model_card import ModelCard
from ..core.model_registry import import_origin, trainer_run_files
from ..core.wording import count_of
from .workers import model_folder_missing

DETAILS_LINK = "#technical-details"  # the card's link that shows or hides technical_rows
NEXT_STEPS = ("To use another model, choose it under <i>Models</i> and press <i>Switch to this "
              "model</i>. <i>Import model folder…</i> adds a model made elsewhere; <i>Retrain on "
              "my albums…</i> makes one that tells the photos of your own albums apart.")
FEW_QUERIES = 20  # held-out photos below which a trained model's mAP moves a lot with one photo


def card_html(card: ModelCard | None, folder: str, problem: str = "",
              library_problem: str = "", details: bool = False) -> str:
    """The Model tab's text: what the active model is, how good it is, where it is from and
    what to do; the card's technical record (hashes, settings, the benchmark's and the
    build's notes) only with `details`, in smaller text under the DETAILS_LINK."""
    if card is None and library_problem:  # the model was not loaded: no word on it
        return (f"<h3>The library cannot be opened</h3><p>{html.escape(library_problem)}</p>"
                "<p>The model is loaded with the library.</p>")
    if card is None and folder and ((Path(folder) / "model.json").exists()
                                    or (Path(folder) / "model.onnx").exists()):
        return (f"<h3>The active model is damaged</h3><p>{html.escape(folder)}</p>"
                f"<p>{html.escape(problem or 'It could not be loaded.')}</p><p>Choose the "
                "default model below and press <i>Switch to this model</i>, or import the "
                "model folder again.</p>")
    if card is None and folder and model_folder_missing(folder):
        return (f"<h3>The active model is missing</h3><p>{html.escape(problem or folder)}</p>"
                "<p>Choose the default model below and press <i>Switch to this model</i>, or "
                "import the model folder again.</p>")
    if card is None:
        return (f"<h3>No model installed</h3><p>{html.escape(problem or 'No model is loaded.')}"
                "</p><p>Import a model folder (one holding <tt>model.onnx</tt> and "
                "<tt>model.json</tt>) or retrain on your albums.</p>")
    rows = [("What it is", purpose_text(card)), ("Code length", code_text(card))]
    if trained_on := trained_on_text(card):
        rows.append(("Trained on", trained_on))
    if (card.training or {}).get("flip_average") is True:  # the trainer's --flip-average
        rows.append(("Mirror images", MIRROR_NOTE))
    rows += [("How good it is", quality_text(card)),
             ("Where it is from", origin_text(card, folder))]
    shown = (f"<h3>Active model: {html.escape(printable(card.name))}</h3>"
             f"<table cellspacing='6'>{_table_rows(rows)}</table><p>{NEXT_STEPS}</p>")
    if not details:
        return shown + f"<p><a href='{DETAILS_LINK}'>Show technical details</a></p>"
    return (shown + f"<p><a href='{DETAILS_LINK}'>Hide technical details</a></p>"
            "<div style='font-size: small'><p><b>Technical details</b> (the model card, "
            f"<tt>model.json</tt>)</p><table cellspacing='3'>"
            f"{_table_rows(technical_rows(card, folder))}</table></div>")


def _table_rows(rows: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)


def _at(notes: Any, *keys: str) -> Any:
    """notes[keys[0]][keys[1]]..., or None where a card lacks one (the notes are free-form)."""
    for key in keys:
        notes = notes.get(key) if isinstance(notes, dict) else None
    return notes


def _number(value: Any) -> bool:
    """A figure that can be shown: not a flag, NaN or infinite, nor an integer too big for a
    float (a hand-made card may hold any of them; formatting 10**400 raises)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _count(value: Any) -> bool:
    """A number of photos that can be said: a whole number above 0."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _named(names: list) -> str:
    shown = ", ".join(printable(str(name)) for name in names[:8])
    return shown + (f" and {len(names) - 8:,} more" if len(names) > 8 else "")


def _code_parts(card: ModelCard) -> tuple[int, int] | None:
    """(same-kind bits, near-duplicate bits) of a code made of both side by side, as the
    default model's build records them in its config; else None."""
    config = _at(card.training, "config")
    same_kind, near_dup = _at(config, "semantic", "bits"), _at(config, "neardup", "bits")
    if isinstance(same_kind, int) and isinstance(near_dup, int) \
            and same_kind + near_dup == card.bits:
        return same_kind, near_dup
    return None


def _albums(card: ModelCard) -> list | None:
    """The album names a model of the trainer learnt from (its card's `training.labels`)."""
    labels = _at(card.training, "labels")
    return labels if isinstance(labels, list) and labels else None


def purpose_text(card: ModelCard) -> str:
    """What the model is for, in plain words."""
    if _albums(card):
        return ("A model trained on photo albums: it finds photos like those of one album "
                "together, and tells them apart from the other albums' photos.")
    if _code_parts(card):
        return ("A model for photos of any kind: it finds photos of the same kind of thing, "
                "and edited copies of a photo (resized, cropped, turned, brightened, "
                "watermarked or mirrored).")
    return card.description or "Its card does not say what it is for."


def code_text(card: ModelCard) -> str:
    text = f"{card.bits} bits a photo ({count_of(card.code_bytes, 'byte')} in the library)"
    if parts := _code_parts(card):
        text += (f": {parts[0]} bits for the kind of thing shown, {parts[1]} for finding "
                 "edited copies")
    return text


def trained_on_text(card: ModelCard) -> str:
    """What the model learnt from ("" where its card does not say in a way we know)."""
    if albums := _albums(card):
        splits = _at(card.training, "splits")
        photos = (sum(splits.values()) if isinstance(splits, dict)
                  and all(isinstance(n, int) for n in splits.values()) else 0)
        where = f"{count_of(len(albums), 'album')}: {_named(albums)}"
        return f"{count_of(photos, 'photo')} in {where}" if photos else where
    fingerprint = _at(card.training, "data_fingerprint")
    photos = _at(fingerprint, "photos")
    if not isinstance(photos, int) or not photos:
        return ""
    text = count_of(photos, "photo")
    if any(str(key).startswith("cifar10") for key in fingerprint):
        text += " from CIFAR-10, a public collection of small photos"
    if _at(fingerprint, "edited_copies") == photos:
        text += ", each with an edited copy"
    return text + "; none of your photos"


def quality_text(card: ModelCard) -> str:
    """How good the model is, in a sentence that says where its figures were measured."""
    evaluation = card.evaluation or {}
    scores = (evaluation.get("map_all_tie_aware"), evaluation.get("map_all"))
    score = next((score for score in scores if _number(score)), None)
    if score is not None:  # the trainer's: measured on photos of the albums it learnt from
        queries, database = evaluation.get("queries"), evaluation.get("database")
        text = "Measured by the trainer on " + (
            f"{count_of(queries, 'photo')} of its albums kept out of training"
            if _count(queries) else "photos of its albums kept out of training")
        if _count(database):
            text += f", each searched for among {database:,} others"
        text += (f": mAP {score:.3f}, where 1 means that the photos of the same album always "
                 "come first")
        if _number(floor := evaluation.get("map_all_random")):
            text += f" and random codes would score about {floor:.2f}"
        if _count(queries) and queries < FEW_QUERIES:
            text += "; with so few photos, a rough figure"
        return text + "."
    if found := benchmark_findings(evaluation):
        return "Measured on Lookalike's benchmark, not on your photos: " + "; ".join(found) + "."
    return "Its card holds no measured figures."


def benchmark_findings(evaluation: dict) -> list[str]:
    """The figures of the default model's benchmark (bench/default_model_bench.py), in words."""
    found = []
    on_cifar = _at(evaluation, "neardup_recall1_cifar", "model", "all")
    on_samples = _at(evaluation, "neardup_recall1_samples", "model", "all")
    if _number(on_cifar):
        found.append(f"an edited copy finds its original first {on_cifar:.0%} of the time"
                     + (f" ({on_samples:.0%} with the sample photos)"
                        if _number(on_samples) else ""))
    same_kind = _at(evaluation, "same_kind_map100_cifar_test", "model")
    if _number(same_kind):
        text = (f"photos of the same kind of thing: mAP@100 {same_kind:.2f} on small CIFAR-10 "
                "test photos, where 1 is perfect")
        if _number(phash := _at(evaluation, "same_kind_map100_cifar_test", "pHash")):
            text += f" (pHash, a common photo fingerprint: {phash:.2f})"
        found.append(text)
    speed = _at(evaluation, "encoding_speed", "end_to_end_photos_per_s")
    if _number(speed):
        # The machine up to its parenthesis: how it was shared while measured is our note.
        machine = str(evaluation.get("machine", "")).split("(")[0].strip(" ,;")
        found.append(f"it reads and encodes about {speed:.0f} photos a second"
                     + (f" on a computer with a {machine}" if machine else ""))
    return found


def origin_text(card: ModelCard, folder: str) -> str:
    """Where the model came from: shipped, trained here, imported, or used from its folder."""
    if not folder:
        return "Its folder is not known."
    where, shown = Path(folder), printable(folder)
    try:
        resolved = where.resolve()
    except (OSError, RuntimeError):  # a link loop
        resolved = where
    if resolved == paths.default_model_dir().resolve():
        return "It comes with Lookalike: the default model, used until you switch to another."
    # The trainer's run folder (Retrain or `lookalike train`), or a <bits>bit folder of a run
    # of several lengths: an import copies no training/, and a training/ of other files is not
    # the trainer's.
    training = trainer_run_files(where)
    if training is not None:
        # The trainer's card records no date; its export writes model.onnx anew, so the file's
        # time is when it was exported there.
        try:
            made = " on " + time.strftime("%Y-%m-%d", time.localtime(
                (where / card.onnx_file).stat().st_mtime))
        except OSError:
            made = ""
        # A run of several code lengths keeps them beside this <bits>bit folder.
        files = ("with its training files" if training.parent == where
                 else f"its training files in {printable(str(training))}")
        return f"You trained it with Lookalike's trainer{made}; it is in {shown}, {files}."
    if paths.models_dir().resolve() in resolved.parents:
        return imported_text(where, shown, card)
    return (f"Used from its own folder, {shown}: Lookalike keeps no copy of it, so moving or "
            "deleting that folder leaves the library without its model.")


def imported_text(copy: Path, shown: str, card: ModelCard) -> str:
    """An imported copy's origin: when and from where, as its import recorded it (a copy
    imported by an earlier version, or whose record was damaged or is another model's, says
    only that it is one)."""
    origin = import_origin(copy)
    if origin is None or origin.model_id not in (None, card.model_id):
        return f"Imported: Lookalike keeps its copy in {shown}."
    trainer = " (trained with Lookalike's trainer)" if origin.trainer_run else ""
    return (f"Imported on {origin.imported_at:%Y-%m-%d} from {printable(origin.source)}"
            f"{trainer}: Lookalike keeps its copy in {shown}.")


def technical_rows(card: ModelCard, folder: str) -> list[tuple[str, str]]:
    """The card's record for whoever checks or rebuilds a model: identity, settings, the
    training section's short values and the evaluation's single figures."""
    spec, probe = card.input, card.probe
    shape = (f"{spec.size[1]}x{spec.size[0]} px, {spec.color}, shorter side resized to "
             f"{spec.resize_shorter} px ({spec.interpolation}), crop {spec.crop}")
    self_test = (f"{probe.count} probe inputs (seed {probe.seed}), at most "
                 f"{probe.max_flipped_bits} bits flipped")
    rows = [("Version", card.model_version), ("Input", shape), ("Folder", printable(folder)),
            ("Model id (sha256 of the graph)", card.model_id),
            ("ONNX file", f"{card.onnx_file}, opset {card.opset}"), ("Self-test", self_test)]
    if card.description:
        rows.append(("Description", card.description))
    rows += training_rows(card.training or {})
    for key, value in (card.evaluation or {}).items():
        if not isinstance(value, (dict, list)):
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            rows.append((f"Evaluation: {key.replace('_', ' ')}", shown))
    return rows


MIRROR_NOTE = ("each photo is averaged with its mirror image (the same code for both; twice "
               "the work per photo)")


def training_rows(training: dict) -> list[tuple[str, str]]:
    """How the model was trained, from the card's free-form `training` section: short scalar
    values as they are, album labels counted, NMLayer stages as bits -> validation mAP."""
    rows = []
    for key, value in training.items():
        label = f"Training: {key.replace('_', ' ')}"
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
                and len(str(value)) <= 80:
            rows.append((label, f"{value:.4g}" if isinstance(value, float) else str(value)))
        elif key == "labels" and isinstance(value, list):
            shown = ", ".join(map(str, value[:6])) + (" …" if len(value) > 6 else "")
            rows.append((label, f"{len(value)}: {shown}"))
        elif key == "flip_average" and value is True:  # the trainer's --flip-average
            rows.append(("Mirror images", MIRROR_NOTE))
        elif key == "stages" and isinstance(value, list):
            stages = [f"{st.get('bits')} bits: mAP {st.get('val_map')}" for st in value
                      if isinstance(st, dict)]
            rows.append(("Training: stages (validation)", "; ".join(stages)))
    return rows
