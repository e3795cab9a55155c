"""The command `lookalike train`, the trainer and the retrain dialog give to add the `train`
extra: it must work for the installation at hand (Lookalike is not on PyPI)."""

from __future__ import annotations

import json

from desktop_app.install_hint import SOURCE_HINT, train_install_hint


def record(url: str, **extra) -> str:
    return json.dumps({"url": url, **extra})


def test_a_wheel_install_names_its_wheel_and_this_python(tmp_path):
    wheel = tmp_path / "dist" / "lookalike-0.1.0-py3-none-any.whl"
    hint = train_install_hint(lambda: record(wheel.as_uri(), archive_info={}),
                              python="/opt/venv/bin/python", frozen=False)
    assert hint == f"`/opt/venv/bin/python -m pip install '{wheel}[train]'`"


def test_an_editable_install_names_its_folder():
    hint = train_install_hint(lambda: record("file:///home/me/My%20Code/lookalike",
                                             dir_info={"editable": True}),
                              python="/usr/bin/python3", frozen=False)
    assert hint == "`/usr/bin/python3 -m pip install -e '/home/me/My Code/lookalike[train]'`"


def test_without_a_local_source_it_points_to_the_source_folder():
    def missing():
        raise FileNotFoundError("no lookalike distribution")  # as PackageNotFoundError would

    for read in (missing, lambda: None, lambda: "not json",
                 lambda: record("https://example.org/lookalike.whl")):
        assert train_install_hint(read, frozen=False) == SOURCE_HINT
    assert "'.[cpu,train]'" in SOURCE_HINT


def test_a_bundle_says_it_cannot_train():
    hint = train_install_hint(lambda: record("file:///x.whl"), frozen=True)
    assert hint.startswith(SOURCE_HINT) and "this bundle cannot train" in hint


def test_no_hint_names_a_project_on_pypi():
    for frozen in (True, False):
        assert "lookalike[" not in train_install_hint(lambda: None, frozen=frozen)


def test_on_windows_the_command_is_quoted_for_its_shell(monkeypatch):
    """shlex.quote's single quotes are POSIX shell syntax: cmd.exe passes them on as part of
    the program name and the path ('C:\\...\\python.exe' is not a program)."""
    import sys

    monkeypatch.setattr(sys, "platform", "win32")
    hint = train_install_hint(lambda: record("file:///home/me/My%20Code/lookalike",
                                             dir_info={"editable": True}),
                              python="C:\\Program Files\\Python311\\python.exe", frozen=False)
    assert "'" not in hint
    assert hint == ('`"C:\\Program Files\\Python311\\python.exe" -m pip install -e '
                    '"/home/me/My Code/lookalike[train]"`')
