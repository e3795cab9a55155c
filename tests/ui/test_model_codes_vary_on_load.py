"""A model folder copied into the models folder by hand is listed in the Model tab; one whose
codes do not vary (a final sigmoid) was switched to, and every photo got the same code. The
app's loader refuses it as the import does: the status bar names model.onnx, the cause and the
remedy, and the active model stays."""

from __future__ import annotations

from model_tab import choose
from tiny_model import make_tiny_model

from desktop_app import paths


def test_the_app_refuses_a_model_copied_into_the_models_folder_by_hand(qtbot, make_window):
    window = make_window()
    before = window.worker.model_dir
    folder = make_tiny_model(paths.models_dir() / "sigmoid-48", name="sigmoid-48",
                             final="Sigmoid", scale=0.01)
    choose(qtbot, window, folder)
    qtbot.waitUntil(lambda: str(folder) in window.statusBar().currentMessage(), timeout=20000)
    message = window.statusBar().currentMessage()
    assert f"{folder / 'model.onnx'}: every probe picture got the same code" in message, message
    assert "tanh" in message, message
    assert window.worker.model_dir == before


def test_the_app_refuses_it_at_start_too(make_window):
    """The settings name it (chosen before this check existed): said, not used."""
    folder = make_tiny_model(paths.models_dir() / "sigmoid-48", name="sigmoid-48",
                             final="Sigmoid", scale=0.01)
    window = make_window(model_dir=str(folder))
    problem = window._model_problem
    assert problem.startswith(f"{folder / 'model.onnx'}: every probe picture got the same code")
    assert "tanh" in problem and window.worker._library is None
