"""The PyInstaller bundle carries the licence texts of the packages in it: Qt's LGPL above all
(PySide6's wheels carry no licence file), LibRaw's (in rawpy's wheel), and whatever each other
wheel installed. The slow test in test_packaging.py checks the built bundle; these check the
spec's helper and wiring."""

from __future__ import annotations

import runpy
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging_scripts import packaging_script

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "lookalike.spec"


def onnxruntime_distribution() -> str:
    """The installed distribution of the onnxruntime module: onnxruntime (the cpu extra) or
    onnxruntime-gpu (the gpu extra, README); a bundle built in either venv ships its texts."""
    (name,) = packaging_script("bundle_licences").bundled_distributions(["onnxruntime"])
    return name


def runtime_distributions() -> list[str]:
    """What the app needs at run time: pyproject's dependencies, the installed onnxruntime
    (cpu or gpu extra), and shiboken6, which PySide6 imports. (Not their whole closure:
    sqlite-utils requires pip, and onnxruntime flatbuffers, which the app never imports; the slow
    test checks what a build collects.)"""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    direct = [*project["dependencies"], "shiboken6"]
    canonical = packaging_script("bundle_licences").canonical
    return sorted({canonical(Requirement(r).name) for r in direct}
                  | {onnxruntime_distribution()})


def test_every_runtime_dependency_brings_its_licence_texts():
    helper = packaging_script("bundle_licences")
    dists = runtime_distributions()
    onnxruntime = onnxruntime_distribution()
    assert {"pyside6-essentials", "shiboken6", onnxruntime, "numpy", "pillow", "pillow-heif",
            "simplejpeg", "xxhash", "watchdog", "send2trash", "sqlite-utils", "rawpy"} <= set(dists)
    files = helper.licence_files(dists)
    folders = {dest.split("/")[1] for dest, _ in files if dest.count("/") > 1}
    assert [d for d in dists if d not in folders] == []
    assert [src for _, src in files if not src.is_file()] == []
    assert len({dest for dest, _ in files}) == len(files)  # no two texts at one place
    text = {dest: src for dest, src in files}
    for qt in ("pyside6-essentials", "shiboken6"):
        lgpl = text[f"licenses/{qt}/LGPL-3.0.txt"].read_text(encoding="utf-8")
        assert "GNU LESSER GENERAL PUBLIC LICENSE" in lgpl and "Version 3" in lgpl
        assert "GNU GENERAL PUBLIC LICENSE" in text[f"licenses/{qt}/GPL-3.0.txt"].read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in text["licenses/pillow-heif/GPL-2.0.txt"].read_text()
    assert "libheif" in text["licenses/pillow-heif/LICENSES_bundled.txt"].read_text()
    # rawpy is MIT; the LibRaw library in its wheel is used under the LGPL-2.1 (or CDDL-1.0).
    assert "MIT License" in text["licenses/rawpy/LICENSE"].read_text(encoding="utf-8")
    libraw = text["licenses/rawpy/LICENSE.LibRaw"].read_text(encoding="utf-8")
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in libraw and "Version 2.1" in libraw
    # The libraries LibRaw uses that rawpy's Linux wheel carries without their texts.
    assert "GNU GENERAL PUBLIC LICENSE" in text["licenses/rawpy/GPL-3.0.txt"].read_text()
    assert "GCC RUNTIME LIBRARY EXCEPTION" in \
        text["licenses/rawpy/GCC-exception-3.1.txt"].read_text(encoding="utf-8")
    assert "JasPer License Version 2.0" in \
        text["licenses/rawpy/JasPer-2.0.txt"].read_text(encoding="utf-8")
    # Read from the installed metadata, wherever the wheel put them.
    assert f"licenses/{onnxruntime}/ThirdPartyNotices.txt" in text
    assert "licenses/numpy/LICENSE.txt" in text
    readme = text["licenses/README.md"].read_text(encoding="utf-8")
    assert "LGPL-3.0" in readme and "LibRaw" in readme and "LGPL-2.1" in readme
    # The interpreter's own licence, wherever the building Python installed it.
    python = Path(sysconfig.get_path("stdlib")) / "LICENSE.txt"
    assert ("licenses/python/LICENSE.txt" in text) == python.is_file()
    if python.is_file():
        assert "PYTHON SOFTWARE FOUNDATION LICENSE" in text["licenses/python/LICENSE.txt"] \
            .read_text(encoding="utf-8", errors="replace")


def test_the_collected_modules_name_their_distributions():
    helper = packaging_script("bundle_licences")
    found = helper.bundled_distributions([
        "PySide6.QtCore", "json", "desktop_app.cli",  # PyInstaller's a.pure: dotted names
        "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",  # a.binaries: paths
        "_pillow_heif.cpython-311-x86_64-linux-gnu.so", "libQt6Core.so.6",
        "rawpy/_rawpy.cpython-311-x86_64-linux-gnu.so"])
    assert found == ["numpy", "pillow-heif", "pyside6-essentials", "rawpy"]


def test_a_package_without_a_licence_text_stops_the_build(tmp_path, monkeypatch):
    info = tmp_path / "bare_package-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bare-package\nVersion: 1.0\n"
                                   "License: Apache-2.0\n", encoding="utf-8")
    (tmp_path / "bare_package.py").write_text("", encoding="utf-8")
    (info / "RECORD").write_text("bare_package.py,,\nbare_package-1.0.dist-info/METADATA,,\n",
                                 encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    helper = packaging_script("bundle_licences")
    assert helper.bundled_distributions(["bare_package"]) == ["bare-package"]
    with pytest.raises(LookupError) as refused:
        helper.licence_files(["bare-package"])
    message = str(refused.value)
    assert "bare-package 1.0" in message and "Apache-2.0" in message
    assert "packaging/licenses/" in message and "EXTRA_TEXTS" in message


class _Recorder:
    """Stand-ins for PyInstaller's spec classes, recording how the spec calls them."""

    def __init__(self, modules: list[str], workpath: Path):
        self.calls: dict[str, tuple] = {}
        recorder = self

        class Analysis:
            def __init__(self, scripts, **options):
                recorder.calls["Analysis"] = (scripts, options)
                self.pure = [(name, f"/site/{name}.py", "PYMODULE") for name in modules]
                self.binaries = [("numpy/_core/_umath.so", "/site/x.so", "EXTENSION"),
                                 ("libQt6Core.so.6", "/site/libQt6Core.so.6", "BINARY")]
                self.datas, self.scripts = [], []

        def record(name):
            return lambda *args, **options: recorder.calls.setdefault(name, (args, options))

        self.namespace = {"Analysis": Analysis, "PYZ": record("PYZ"), "EXE": record("EXE"),
                          "COLLECT": record("COLLECT"), "BUNDLE": record("BUNDLE"),
                          "SPECPATH": str(SPEC.parent), "workpath": str(workpath)}

    def run(self):
        runpy.run_path(str(SPEC), init_globals=self.namespace)  # as PyInstaller runs it
        return self.calls


@pytest.mark.parametrize("platform, icon", [("win32", "lookalike.ico"),
                                            ("darwin", "lookalike.icns")])
def test_the_spec_bundles_the_licence_texts_and_the_platform_icon(monkeypatch, tmp_path,
                                                                 platform, icon):
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec puts packaging/ on it
    monkeypatch.setattr(sys, "platform", platform)
    calls = _Recorder(["PySide6", "PySide6.QtCore", "shiboken6", "onnxruntime", "rawpy",
                       "desktop_app.cli", "json"], tmp_path).run()
    args, _ = calls["COLLECT"]
    datas = {dest: (source, kind) for dest, source, kind in args[2]}
    for dest in ("licenses/README.md", "licenses/pyside6-essentials/LGPL-3.0.txt",
                 "licenses/pyside6-essentials/GPL-3.0.txt", "licenses/shiboken6/LGPL-3.0.txt",
                 f"licenses/{onnxruntime_distribution()}/LICENSE", "licenses/numpy/LICENSE.txt",
                 "licenses/rawpy/LICENSE", "licenses/rawpy/LICENSE.LibRaw"):
        assert dest in datas and datas[dest][1] == "DATA", dest
        assert Path(datas[dest][0]).is_file()
    assert not [d for d in datas if d.startswith("licenses/lookalike/")]  # LICENSE is ours
    _, exe = calls["EXE"]
    assert Path(exe["icon"]) == ROOT / "resources" / "icons" / icon
    assert Path(exe["icon"]).is_file()
    if platform == "darwin":
        assert Path(calls["BUNDLE"][1]["icon"]).name == "lookalike.icns"
    else:
        assert "BUNDLE" not in calls
