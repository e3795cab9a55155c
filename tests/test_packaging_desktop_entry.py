"""packaging/lookalike.desktop read as the freedesktop Desktop Entry Specification 1.5 reads
it (desktop-file-validate is not installed here), and what it offers is what the app opens."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from photos import make_camera_raw

from desktop_app.core.camera_raw import RAW_EXTENSIONS, is_raw_name
from desktop_app.core.images import PHOTO_EXTENSIONS

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "packaging" / "lookalike.desktop"

# The shared-mime-info type of each suffix the app reads, by its file name (globs2 of
# shared-mime-info 2.2: .heic and .hif are image/heif, of which image/heic is only an alias)...
SUFFIX_GLOB_MIME = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".png": "image/png",
    ".webp": "image/webp", ".tif": "image/tiff", ".tiff": "image/tiff", ".bmp": "image/bmp",
    ".gif": "image/gif", ".heic": "image/heif", ".heif": "image/heif", ".hif": "image/heif",
    ".avif": "image/avif", ".dng": "image/x-adobe-dng", ".cr2": "image/x-canon-cr2",
    ".cr3": "image/x-canon-cr3", ".crw": "image/x-canon-crw", ".nef": "image/x-nikon-nef",
    ".nrw": "image/x-nikon-nrw", ".arw": "image/x-sony-arw", ".srf": "image/x-sony-srf",
    ".sr2": "image/x-sony-sr2", ".raf": "image/x-fuji-raf", ".orf": "image/x-olympus-orf",
    ".rw2": "image/x-panasonic-rw2", ".pef": "image/x-pentax-pef", ".x3f": "image/x-sigma-x3f",
    ".kdc": "image/x-kodak-kdc", ".dcr": "image/x-kodak-dcr", ".mrw": "image/x-minolta-mrw"}
# ... or, for the suffixes it has no glob for, by the file's first bytes (checked with `gio
# info` on such files): camera raws that are TIFF inside, and Leica's RWL, Panasonic's RW2.
SUFFIX_CONTENT_MIME = {
    ".jfif": "image/jpeg", ".srw": "image/tiff", ".3fr": "image/tiff", ".fff": "image/tiff",
    ".iiq": "image/tiff", ".erf": "image/tiff", ".mef": "image/tiff", ".mos": "image/tiff",
    ".rwl": "image/x-panasonic-rw2"}
SUFFIX_MIME = SUFFIX_GLOB_MIME | SUFFIX_CONTENT_MIME
MAIN_CATEGORIES = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game",
                   "Graphics", "Network", "Office", "Science", "Settings", "System", "Utility"}
# Additional categories used here, each with the main categories it must come with.
ADDITIONAL_CATEGORIES = {"Photography": {"Graphics", "Office"}, "Viewer": {"Graphics", "Office"},
                         "Qt": set()}
KNOWN_KEYS = {"Type", "Version", "Name", "GenericName", "NoDisplay", "Comment", "Icon", "Hidden",
              "OnlyShowIn", "NotShowIn", "DBusActivatable", "TryExec", "Exec", "Path",
              "Terminal", "Actions", "MimeType", "Categories", "Implements", "Keywords",
              "StartupNotify", "StartupWMClass", "URL", "PrefersNonDefaultGPU",
              "SingleMainWindow"}
LISTS = {"OnlyShowIn", "NotShowIn", "Actions", "MimeType", "Categories", "Implements",
         "Keywords"}
BOOLEANS = {"NoDisplay", "Hidden", "DBusActivatable", "Terminal", "StartupNotify",
            "PrefersNonDefaultGPU", "SingleMainWindow"}


def parse(text: str) -> dict[str, str]:
    """The [Desktop Entry] group; fails on anything the specification does not allow."""
    group, entry = None, {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            assert group is None and line == "[Desktop Entry]", f"line {number}: {line}"
            group = line
            continue
        assert group, f"line {number}: an entry before the [Desktop Entry] header"
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        assert equals and re.fullmatch(r"[A-Za-z0-9-]+(\[[^\]]+\])?", key), f"line {number}"
        assert key not in entry, f"line {number}: {key} given twice"
        entry[key] = value
    return entry


def entry() -> dict[str, str]:
    return parse(ENTRY.read_text(encoding="utf-8"))


def test_the_desktop_entry_follows_the_specification():
    found = entry()
    assert [k for k in found if k.split("[")[0] not in KNOWN_KEYS] == []
    assert found["Type"] == "Application" and found["Version"] == "1.5" and found["Name"]
    assert [k for k in found if k in BOOLEANS and found[k] not in ("true", "false")] == []
    assert [k for k in found if k.split("[")[0] in LISTS and not found[k].endswith(";")] == []
    program, *arguments = found["Exec"].split()
    codes = re.findall(r"%.", found["Exec"])
    assert codes == ["%f"] and arguments == ["%f"]  # one path, or none: `lookalike` alone
    assert found["TryExec"] == program  # hidden from menus where `lookalike` is not installed
    assert f'{program} = "desktop_app.cli:main"' in (ROOT / "pyproject.toml").read_text()
    categories = set(filter(None, found["Categories"].split(";")))
    mains = categories & MAIN_CATEGORIES
    assert len(mains) == 1, categories
    for extra in categories - MAIN_CATEGORIES:
        related = ADDITIONAL_CATEGORIES[extra]
        assert not related or related & mains, f"{extra} needs one of {related}"


def test_it_offers_folders_and_every_photo_type_the_app_reads():
    offered = [t for t in entry()["MimeType"].split(";") if t]
    assert len(offered) == len(set(offered))
    assert set(offered) == {"inode/directory"} | {SUFFIX_MIME[s] for s in PHOTO_EXTENSIONS}


def installed_suffix_globs() -> dict[str, set[str]] | None:
    """Suffix -> the types the installed shared-mime-info database gives it by name (its
    globs2 file, in the XDG data folders), or None where it is not installed."""
    folders = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"  # XDG default
    files = [Path(f) / "mime" / "globs2" for f in folders.split(":") if f]
    globs2 = next((file for file in files if file.is_file()), None)
    if globs2 is None:
        return None
    found: dict[str, set[str]] = {}
    for line in globs2.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        _weight, mime, pattern = line.split(":")[:3]  # then flags, if any
        if re.fullmatch(r"\*\.[^*?\[\]]+", pattern):  # a plain suffix, no wildcard after it
            found.setdefault(pattern[1:].lower(), set()).add(mime)
    return found


def test_the_suffix_types_are_those_of_the_installed_mime_database():
    """SUFFIX_MIME is what a file manager says, not a guess: a type renamed there would leave
    the entry offering a type no file has, and a glob added (for .srw, say) would give files a
    type the entry does not offer."""
    globs = installed_suffix_globs()
    if globs is None:
        pytest.skip("no shared-mime-info database (mime/globs2) in XDG_DATA_DIRS")
    assert {s: globs.get(s, set()) for s in SUFFIX_GLOB_MIME} == \
        {s: {mime} for s, mime in SUFFIX_GLOB_MIME.items()}
    assert {s: globs[s] for s in SUFFIX_CONTENT_MIME if s in globs} == \
        {s: {mime} for s, mime in SUFFIX_CONTENT_MIME.items() if s in globs}


def test_its_icon_is_in_the_theme_sizes_linux_looks_up():
    name = entry()["Icon"]
    assert "/" not in name and "." not in name  # a theme name, not a file
    icons = ROOT / "resources" / "icons"
    assert (icons / f"{name}.svg").is_file()  # hicolor/scalable
    for size in (48, 128, 256):  # hicolor/NxN: what menus and docks ask for
        assert (icons / f"{name}-{size}.png").is_file()


def test_the_desktop_entry_opens_what_it_claims(monkeypatch, tmp_path, photo_factory):
    from desktop_app import cli

    opened = []
    monkeypatch.setattr(cli, "run_app", lambda folder, verbose=0: opened.append(folder) or 0)
    samples = {"image/jpeg": "chelsea.jpg", "image/png": "coffee.png", "image/webp": "a.webp",
               "image/heif": "cat.heic", "image/tiff": "scan.tif", "image/bmp": "scan.bmp",
               "image/gif": "clip.gif", "image/avif": "phone.avif"}
    for suffix in sorted(RAW_EXTENSIONS):  # as a camera names them: IMG_0001.CR2
        samples.setdefault(SUFFIX_MIME[suffix], f"IMG_0001{suffix.upper()}")
    for mime in filter(None, entry()["MimeType"].split(";")):
        if mime == "inode/directory":
            target = tmp_path / "album"
            target.mkdir()
        elif is_raw_name(name := samples[mime]):  # a real raw file (a DNG inside)
            target = make_camera_raw(tmp_path / "photos" / name)
        else:  # a file manager's "Open with Lookalike" on a photo
            target = photo_factory(f"photos/{name}", "chelsea",
                                   fmt="AVIF" if name.endswith(".avif") else None)
        assert cli.main([str(target)]) == 0, f"{mime}: `lookalike {target.name}` is refused"
        assert opened[-1] == str(target)
    assert cli.main([]) == 0 and opened[-1] is None  # %f empty: the app on its own
