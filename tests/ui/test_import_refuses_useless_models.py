"""The Model tab's Import model folder… refuses a model whose codes do not vary (it ends in a
sigmoid): the status bar names the file, the cause and the remedy, and nothing is listed."""

from __future__ import annotations

from tiny_model import make_tiny_model

from desktop_app import paths


def test_the_model_tab_refuses_a_model_ending_in_a_sigmoid(qtbot, make_window):
    window = make_window()
    folder = make_tiny_model(paths.data_dir() / "incoming", name="sigmoid-48", final="Sigmoid",
                             scale=0.01)
    window.model_panel.import_requested.emit(str(folder))
    qtbot.waitUntil(lambda: str(folder) in window.statusBar().currentMessage(), timeout=20000)
    message = window.statusBar().currentMessage()
    assert message.startswith(f"{folder / 'model.onnx'}: every probe picture got the same code")
    assert "sigmoid" in message and "tanh" in message, message
    combo = window.model_panel.models_combo
    assert not any("sigmoid-48" in combo.itemText(i) for i in range(combo.count()))
