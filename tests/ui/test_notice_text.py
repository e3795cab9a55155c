"""The window's notices go through printable() (a name that is not UTF-8 shows its bytes as
\\xNN); text with a lone surrogate that no file name gave must still be told, not raise."""

from __future__ import annotations

import json

from tiny_model import make_tiny_model

from desktop_app import paths


def test_importing_a_model_whose_name_holds_half_an_emoji_is_told(qtbot, make_window):
    """A card written with "\\ud83d" (an emoji cut in half) parses to a lone surrogate:
    os.fsencode raised in tell(), so nothing was said and an error dialog came up. Such a name
    is refused now (SQLite cannot store it), and the refusal is said."""
    window = make_window()
    folder = make_tiny_model(paths.data_dir() / "incoming", name="tiny-48")
    card = json.loads((folder / "model.json").read_text())
    card["name"] = "tiny \ud83d"
    (folder / "model.json").write_text(json.dumps(card))  # ensure_ascii: "tiny \ud83d"
    said = []
    window.statusBar().messageChanged.connect(said.append)
    window.model_panel.import_requested.emit(str(folder))
    qtbot.waitUntil(lambda: any("not valid Unicode" in m for m in said), timeout=20000)
    (message,) = [m for m in said if "not valid Unicode" in m]
    assert message.startswith(f"{folder / 'model.json'}: the model card holds a character that "
                              "is not valid Unicode (a lone surrogate escape, \\ud83d)")
