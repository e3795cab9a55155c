"""The licence texts of the third-party packages a PyInstaller bundle holds.

lookalike.spec passes the modules PyInstaller collected; each one's installed distribution
(importlib.metadata) gives its licence files, copied to licenses/<name>/ in the bundle. No hand
list of packages: a new dependency brings its texts, and one whose wheel carries none stops the
build (below) instead of shipping without them.
"""

from __future__ import annotations

import re
import sysconfig
from importlib import metadata
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
TEXTS = HERE / "licenses"  # texts that some wheels name but do not carry

# Lookalike's own texts travel as LICENSE and beside the resources they cover.
OWN = "lookalike"

LICENCE_NAME = re.compile(r"^(licen[cs]e|copying|notice|authors|thirdpartynotices)",
                          re.IGNORECASE)

# Wheels that name a licence without its text. PySide6 and shiboken6 (and the Qt libraries in
# them) are used under the LGPL-3.0, which adds permissions to the GPL-3.0: both texts must
# travel. pillow-heif's wheel holds libheif and libde265 (LGPL-3.0) and x265 (GPL-2.0); its
# LICENSES_bundled.txt names them but links to their texts. rawpy's Linux wheel holds libgomp
# (GPL-3.0 with the GCC Runtime Library Exception) and JasPer (JasPer License 2.0) without their
# texts. licenses/README.md (copied to the top of the bundle's licenses/) says which text covers
# what.
EXTRA_TEXTS = {
    "pyside6-essentials": ("LGPL-3.0.txt", "GPL-3.0.txt"),
    "pyside6": ("LGPL-3.0.txt", "GPL-3.0.txt"),  # the full PySide6, when it is installed
    "pyside6-addons": ("LGPL-3.0.txt", "GPL-3.0.txt"),
    "shiboken6": ("LGPL-3.0.txt", "GPL-3.0.txt"),
    "pillow-heif": ("LGPL-3.0.txt", "GPL-3.0.txt", "GPL-2.0.txt"),
    "rawpy": ("GPL-3.0.txt", "GCC-exception-3.1.txt", "JasPer-2.0.txt"),
}


def canonical(name: str) -> str:
    """PEP 503 form of a distribution name: the folder name under licenses/."""
    return re.sub(r"[-_.]+", "-", name).lower()


def bundled_distributions(names: list[str]) -> list[str]:
    """The installed distributions (canonical names, sorted) that provide `names`: dotted
    module names (PyInstaller's a.pure) or bundle paths (its a.binaries). The standard library
    and Lookalike itself are left out."""
    owners = metadata.packages_distributions()
    found = set()
    for name in names:
        top = re.split(r"[./\\]", name, maxsplit=1)[0]
        found.update(canonical(d) for d in owners.get(top, ()))
    found.discard(OWN)
    return sorted(found)


def _own_texts(dist: metadata.Distribution) -> list[tuple[str, Path]]:
    """The licence files a distribution installed: those of its .dist-info folder (PEP 639's
    licenses/, or LICENSE-like names), else LICENSE-like files at the top of its packages
    (onnxruntime keeps LICENSE and ThirdPartyNotices.txt there). (path in licenses/, file)."""
    in_info, in_package = [], []
    for file in dist.files or ():
        parts = PurePosixPath(str(file)).parts
        if parts[0].endswith(".dist-info"):
            inner = parts[1:]
            if inner[:1] == ("licenses",) and len(inner) > 1:
                in_info.append(("/".join(inner[1:]), file))
            elif len(inner) == 1 and LICENCE_NAME.match(inner[0]):
                in_info.append((inner[0], file))
        elif len(parts) <= 2 and LICENCE_NAME.match(parts[-1]) and not parts[-1].endswith(".py"):
            in_package.append((parts[-1], file))
    return [(name, Path(dist.locate_file(file))) for name, file in in_info or in_package]


def licence_files(distributions: list[str]) -> list[tuple[str, Path]]:
    """(path inside the bundle, source file) for every licence text of `distributions`, after
    licenses/README.md. Raises LookupError for a distribution with no text to ship."""
    files = [("licenses/README.md", TEXTS / "README.md")]
    # The interpreter and standard library the bundle holds (PSF licence), where installed.
    python = Path(sysconfig.get_path("stdlib")) / "LICENSE.txt"
    if python.is_file():
        files.append(("licenses/python/LICENSE.txt", python))
    for name in distributions:
        dist = metadata.distribution(name)
        texts = _own_texts(dist) + [(text, TEXTS / text)
                                    for text in EXTRA_TEXTS.get(canonical(name), ())]
        if not texts:
            licence = dist.metadata.get("License-Expression") or dist.metadata.get("License")
            raise LookupError(
                f"packaging/bundle_licences.py: the installed {name} {dist.version} "
                f"(licence: {licence or 'not stated'}) carries no licence file, so the bundle "
                "would ship it without its licence text. Add the text to packaging/licenses/ "
                "and name it under EXTRA_TEXTS there, or leave the package out of the bundle.")
        files += [(f"licenses/{canonical(name)}/{path}", source) for path, source in texts]
    return files
