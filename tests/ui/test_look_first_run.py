"""The welcome row a first start shows above the library: it must not make the window wider
than a small screen."""

from __future__ import annotations

from desktop_app import paths


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


def test_a_long_pictures_path_leaves_the_window_narrow(qtbot, make_window, tmp_path,
                                                      monkeypatch):
    """The button named the Pictures folder whole: a path of 61 characters (a OneDrive folder
    with a company's name in it) made the window 889 pixels wide, one of 171 1,625. Shortened
    in the button, whole in its tooltip and for a screen reader; the folder added is the
    whole one, and the welcome goes once it is."""
    pictures = tmp_path / "OneDrive - Contoso Engineering and Manufacturing GmbH" / "Pictures"
    pictures.mkdir(parents=True)
    monkeypatch.setattr(paths, "pictures_dir", lambda: pictures)
    window = make_window(first_run_done=False)
    qtbot.waitUntil(window.first_run.isVisible, timeout=5000)
    assert window.minimumSizeHint().width() <= 800
    button = window.use_pictures
    assert "…" in button.text() and str(pictures) not in button.text()
    assert button.accessibleName() == f"My Pictures folder ({pictures})"
    assert button.toolTip() == str(pictures)
    button.click()
    qtbot.waitUntil(lambda: not window.first_run.isVisible(), timeout=5000)
    assert window.settings.watched_folders == [str(pictures)]
    assert window.settings.first_run_done
