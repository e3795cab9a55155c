"""The Model tab used as a user does."""

from __future__ import annotations


def choose(qtbot, window, folder) -> None:
    """Pick the model in `folder` in the Model tab and press Switch to this model."""
    panel = window.model_panel
    panel.refresh_models()
    index = panel.models_combo.findData(str(folder))
    assert index >= 0, [panel.models_combo.itemData(i) for i in range(panel.models_combo.count())]
    panel.models_combo.setCurrentIndex(index)
    panel.switch_button.click()
