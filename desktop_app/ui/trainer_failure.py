"""The trainer's failures in the Retrain dialog's words.

The trainer's messages speak to a person at its command line, and their remedies name its
options ("Give --out a folder you can write to"). The dialog chose those options itself: the
output folder in the app's models folder, the code length from its spin box, mirror images from
its check box; any other setting comes from the run folder's saved config.toml. So an `error`
event that says which option its remedy concerns (`option`, with `problem` where one option has
several remedies, or `problem` alone: see trainer.errors.TrainerError) is worded here, from its
`path` and `reason`, with a remedy in the dialog's terms. An event without them is shown as the
trainer wrote it: its remedy names no option.
"""

from __future__ import annotations

from pathlib import Path

from .. import paths

AGAIN = "press Start training again"
# Options the dialog never gives: in its runs they come from the run folder's config.toml.
SAVED_SETTINGS = ("--set", "--device", "--mode", "--backbone", "--backbone-weights")
DELETE_SETTINGS = ("delete that file to go back to the default settings (the code length and "
                   f"mirror images still come from this dialog), then {AGAIN}")


def failure_text(event: dict, out_dir: str | None) -> str:
    """One sentence for a trainer `error` event of a run whose output folder is `out_dir`."""
    remedy = _remedy(event, out_dir)
    if remedy is None:
        return str(event.get("message") or "the trainer reported an error")
    path, reason = event.get("path"), event.get("reason") or ""
    if path and not str(path).startswith("--"):  # else the option itself ("--bits") stood there
        reason = f"{path}: {reason}"
    return ". ".join(p.rstrip(".") for p in (reason, remedy) if p) + "."


def _remedy(event: dict, out_dir: str | None) -> str | None:
    option, problem = event.get("option"), event.get("problem")
    if option == "--out":
        return _output_folder_remedy(problem, event.get("path"))
    if option == "--bits":
        return f"Choose a code length from 12 to 64 bits, then {AGAIN}"
    if option == "--config":  # the dialog gives none: the run folder's own config.toml
        return f"It holds the settings saved with this unfinished training: {DELETE_SETTINGS}"
    if option in SAVED_SETTINGS:  # no control of the dialog sets it: config.toml did
        return _saved_settings_remedy(out_dir)
    return {
        "disk-full": f"Free some space there, then {AGAIN}: it goes on from what was saved",
        "albums-changed": "Press Start training again: the albums are read anew",
        # The trainer's remedy names --set and --device, which the dialog does not give.
        "out-of-memory": f"Close other programs that use the GPU, then {AGAIN}: it goes on "
                         "from what was saved (the trainer's command line, python -m trainer, "
                         "can also train with smaller batches or on the CPU)",
        "stopped": f"Training was stopped before it finished; {AGAIN} to go on",
        "usage": "The trainer installed is not the one this app was made for: install the "
                 "app and the trainer from the same version of Lookalike",
    }.get(problem)


def _output_folder_remedy(problem: str | None, path: str | None) -> str:
    """The app chose the output folder: a new folder in its models folder."""
    models = paths.models_dir()
    if problem == "inside-albums":
        return f"The app keeps its models in {models}: choose a folder of albums that does " \
               "not contain it"
    if problem == "not-a-folder":
        return f"The app keeps its models in {models}: move or rename that file, then {AGAIN}"
    if problem == "not-ours":  # a file the trainer would write over (trainer/outdir.py)
        return f"The app keeps its models in {models}: move that file out of that folder, " \
               f"then {AGAIN}"
    return f"The app keeps its models in {models}: make {path or 'it'} writable, then {AGAIN}"


def _saved_settings_remedy(out_dir: str | None) -> str:
    saved = Path(out_dir) / "training" / "config.toml" if out_dir else "training/config.toml"
    return (f"The app does not set this: it comes from the settings saved with this unfinished "
            f"training, {saved}; {DELETE_SETTINGS}")
