"""What a person at the command line is told once a model is exported: where it is, how good
it is on photos it never saw and what that number means, and how to use it (no torch)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from .outdir import json_object

# Below this share of the way from random codes to a perfect ranking, a model is said to be
# little better than random codes.
LITTLE_BETTER = 0.25
FEW_QUERIES = 20  # held-out photos below which the mAP moves a lot with one photo


def _quoted(path: Path) -> str:
    """As a shell of this system takes the path pasted into a command."""
    text = str(path)
    if os.name == "nt":
        return f'"{text}"' if " " in text else text
    return shlex.quote(text)


def _card(model_dir: Path) -> dict[str, Any]:
    return json_object(model_dir / "model.json") or {}


def quality_words(evaluation: dict[str, Any]) -> str:
    """The held-out mAP in words ("" without one)."""
    score = evaluation.get("map_all_tie_aware", evaluation.get("map_all"))
    if not isinstance(score, (int, float)):
        return ""
    queries = evaluation.get("queries", 0)
    words = (f"Search quality on {queries} photos kept out of training, each searched for "
             f"among {evaluation.get('database', '?')} others: mAP {score:.3f}, where 1 means "
             "that the photos of the same album always come first")
    floor = evaluation.get("map_all_random")
    if isinstance(floor, (int, float)):
        words += f" and random codes would score about {floor:.2f} with these albums"
        if floor >= 0.5:
            # Two albums of the same size put it above 0.5 too: not only one album holding most.
            words += (" (with few albums, or one that holds most photos, many of the photos "
                      "found are right anyway)")
    if isinstance(queries, int) and queries < FEW_QUERIES:
        words += "; with so few photos, a rough figure"
    if isinstance(floor, (int, float)) and floor < 1 and \
            (score - floor) / (1 - floor) < LITTLE_BETTER:
        words += (". That is little better than random codes: more photos per album, or albums "
                  "whose photos differ more from the others', help")
    return words + "."


def closing_words(model_dirs: list[str | os.PathLike]) -> str:
    """Lines for stderr after `run` or `export` (the last folder's evaluation is shown: the
    shortest code's, which `run` names in its done event)."""
    folders = [Path(d).resolve() for d in model_dirs]
    last = folders[-1]
    card = _card(last)
    bits = card.get("output", {}).get("bits") if isinstance(card.get("output"), dict) else None
    lines = [f"The {bits}-bit model '{card.get('name', last.name)}' is in {last}"
             if bits else f"The model is in {last}"]
    if len(folders) > 1:
        lines[0] += "; the other lengths are in " + ", ".join(str(f) for f in folders[:-1])
    lines[0] += "."
    evaluation = card.get("evaluation") if isinstance(card.get("evaluation"), dict) else {}
    if quality := quality_words(evaluation):
        lines.append(quality)
    lines.append(f"To search your photos with it: lookalike models activate {_quoted(last)}, or "
                 "in the app: Model tab > Import model folder, then Switch to this model.")
    return "\n".join(lines)
