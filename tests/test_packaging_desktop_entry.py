"""packaging/lookalike.desktop read as the freedesktop Desktop Entry Specification 1.5 reads
it (desktop-file-validate is not installed here), and what it offers is what the app opens."""

from __future__ import annotations

import re
from pathlib import Path

from desktop_app.core.images import PHOTO_EXTENSIONS

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "packaging" / "lookalike.desktop"

# The shared-mime-info type of each suffix the app reads (globs2 of shared-mime-info 2.2: .heic
# and .hif are image/heif, of which image/heic is only an alias; .jfif is found by content).
SUFFIX_MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg",
               ".jfif": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
               ".tif": "image/tiff", ".tiff": "image/tiff", ".bmp": "image/bmp",
               ".gif": "image/gif", ".heic": "image/heif", ".heif": "image/heif",
               ".hif": "image/heif", ".avif": "image/avif"}
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
    for mime in filter(None, entry()["MimeType"].split(";")):
        if mime == "inode/directory":
            target = tmp_path / "album"
            target.mkdir()
        else:  # a file manager's "Open with Lookalike" on a photo
            name = samples[mime]
            target = photo_factory(f"photos/{name}", "chelsea",
                                   fmt="AVIF" if name.endswith(".avif") else None)
        assert cli.main([str(target)]) == 0, f"{mime}: `lookalike {target.name}` is refused"
        assert opened[-1] == str(target)
    assert cli.main([]) == 0 and opened[-1] is None  # %f empty: the app on its own
