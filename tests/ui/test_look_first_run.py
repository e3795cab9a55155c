"""The welcome row a first start shows above the library: it must not make the window wider
than a small screen."""

from __future__ import annotations


def test_the_welcome_row_leaves_the_window_narrow(qtbot, make_window):
    """The welcome and its four buttons in one row made the window at least 900 pixels wide
    (more with a longer Pictures path): wider than a 1024-pixel screen at 125% (819)."""
    window = make_window(first_run_done=False)
    qtbot.waitUntil(window.first_run.isVisible, timeout=5000)
    assert window.minimumSizeHint().width() <= 800
    window.resize(window.minimumSizeHint())
    qtbot.waitUntil(lambda: window.width() <= 800, timeout=2000)
    buttons = (window.use_pictures, window.use_samples)
    for button in buttons:  # none squeezed: each shows its whole text
        assert button.width() >= button.sizeHint().width()
    assert window.first_run.geometry().right() <= window.centralWidget().width()
