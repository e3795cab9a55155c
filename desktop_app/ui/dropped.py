"""What a drop or a paste names: the local files of its URLs, or the paths its text gives one a
line (as a terminal, a file manager's "copy path" or Lookalike's own Copy path writes them),
the picture a data: URL holds, and one sentence for what cannot be searched. Nothing here
downloads anything or reads a photo file."""

from __future__ import annotations

import base64
import binascii
import os
import re
import shlex
from urllib.parse import unquote, unquote_to_bytes

from PySide6.QtCore import QBuffer, QByteArray, QMimeData, QUrl
from PySide6.QtGui import QImage, QImageReader

from ..core.errors import printable
from ..core.images import MAX_PIXELS, is_photo
from ..core.scan import hidden_below, is_under


def photo_file(path: str) -> bool:
    return is_photo(path) and os.path.isfile(path)


def url_paths(mime) -> list[str]:
    """The local files of a drop's (or a copied file's) URLs, in their order."""
    urls = mime.urls() if mime is not None and mime.hasUrls() else []
    return [local_path(url) for url in urls if url.isLocalFile()]


def text_paths(mime) -> list[str]:
    """The absolute paths pasted plain text names, one a line (a path or a file:// URL), or
    several on a line as shell words."""
    if mime is None or not mime.hasText() or _is_data_url(mime.text()):
        return []  # (a data: URL is no path, and megabytes long: not split into shell words)
    return [path for line in mime.text().splitlines() for path in _line_paths(line)]


def given_paths(mime) -> list[str]:
    """What a drop or paste names: its URLs' local files, or else the paths its text gives
    (each absolute, without a trailing separator)."""
    return [os.path.abspath(p) for p in url_paths(mime) or text_paths(mime)]


def local_path(url: QUrl) -> str:
    """The path of a file:// URL. A file manager percent-encodes the bytes of a name that is
    not UTF-8 (caf%E9.jpg): toLocalFile turns them into U+FFFD, a name no file has; they are
    kept here as Python keeps such bytes."""
    raw = unquote_to_bytes(url.path(QUrl.ComponentFormattingOption.FullyEncoded))
    if os.name != "nt" and not url.host():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return os.fsdecode(raw)
    return url.toLocalFile()


def _line_paths(line: str) -> list[str]:
    """The absolute paths one line names: one path, or several shell words, as a terminal
    writes the files dragged onto it ('/p/a.jpg' '/p/b.jpg')."""
    text = line.strip()
    if not text:
        return []
    if len(text) > 2 and text[0] == text[-1] and text[0] in "'\"":
        # Quoted, as Windows' "Copy as path" and a terminal's dragged file give it.
        text = text[1:-1]
    if text.startswith("file:"):
        text = local_path(QUrl(text))
    path = os.path.expanduser(text)
    if not os.path.exists(path):
        # Quoted for a shell: a\ b from a terminal's completion, $'caf\xe9.jpg' from Copy path.
        words = [os.path.expanduser(word) for word in shell_words(line.strip()) or []]
        if len(words) == 1 and os.path.exists(words[0]):
            path = words[0]
        elif len(words) > 1 and all(map(os.path.isabs, words)):
            return words  # not "'/p/a.jpg' '/p/b.jpg': there is no such file"
    return [path] if os.path.isabs(path) else []


# $'...' (bash, zsh, ksh; POSIX 2024), which shlex does not read: file_actions.shell_quoted's
# quoting of a name that is not UTF-8 or holds an unprintable character, and GNU ls's. Only
# outside other quotes: in '/p/a$'\''b.jpg' (a name holding $') the $ is a plain character,
# so quoted strings and backslash escapes are matched too, and left as they are.
_ANSI_C = re.compile(r"""\$'((?:[^'\\]|\\.)*)'|'[^']*'|"(?:[^"\\]|\\.)*"|\\.""", re.DOTALL)
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)
_NAMED = {"n": b"\n", "t": b"\t", "r": b"\r", "a": b"\a", "b": b"\b", "e": b"\x1b",
          "E": b"\x1b", "f": b"\f", "v": b"\v"}


def shell_unquoted(text: str) -> str | None:
    """The name that `text`, one POSIX shell word, stands for ('a b', a\\ b, $'caf\\xe9.jpg');
    None if it is not one word (two words, an unclosed quote)."""
    words = shell_words(text)
    return words[0] if words is not None and len(words) == 1 else None


def shell_words(text: str) -> list[str] | None:
    """The names that `text`, POSIX shell words, stand for; None for an unclosed quote."""
    def single_quoted(match: re.Match) -> str:
        if match[1] is None:  # a quoted string or an escape: shlex reads it
            return match[0]
        name = os.fsdecode(_ansi_c_bytes(match[1]))
        return "'" + name.replace("'", "'\"'\"'") + "'"

    try:
        return shlex.split(_ANSI_C.sub(single_quoted, text))
    except ValueError:
        return None


def _ansi_c_bytes(body: str) -> bytes:
    out, start = bytearray(), 0
    for match in _ESCAPE.finditer(body):
        out += os.fsencode(body[start:match.start()])
        code = match[1]
        if code[0] == "x":
            out.append(int(code[1:], 16))
        elif code[0] in "01234567":
            out.append(int(code, 8) & 0xFF)
        else:
            out += _NAMED.get(code, os.fsencode(code))
        start = match.end()
    return bytes(out + os.fsencode(body[start:]))


def several_message(photo: str, photos: int, given: int) -> str:
    """Said when a drop or paste names more than one file: which one is searched."""
    name = printable(os.path.basename(photo))
    if photos > 1:
        return (f"Searching with {name}, the first of the {photos:,} photos given: Lookalike "
                "searches with one photo at a time.")
    return f"Searching with {name}, the only photo among the {given:,} files given."


def watch_question(folders: list[str]) -> tuple[str, str]:
    """The question asked when folders are dropped or pasted, and its details."""
    if len(folders) == 1:
        return (f"Watch {printable(folders[0])} and index its photos?",
                ("Its photos are indexed and then watched for changes, as with Add… under "
                 "Watched folders. To search with one photo, drop the photo itself."))
    shown = [printable(f) for f in folders[:5]]
    if len(folders) > 5:
        shown.append(f"and {len(folders) - 5:,} more")
    return (f"Watch these {len(folders):,} folders and index their photos?",
            "\n".join(shown))


def walked_past(folder: str, watched: str) -> bool:
    """Whether the walk and watcher of the watched folder `watched` skip `folder`, which lies in
    it (scan.hidden_below: a hidden or system folder, a photo app library's previews). Such a
    folder, added, is a library folder of its own (PhotoLibrary.add_folder), walked and watched
    on its own. Not when the walk reaches it by a folder link whose name is not skipped
    (Pictures/thumbs -> Pictures/.thumbnails): its photos are indexed with `watched`, under
    the link's name."""
    if not hidden_below(os.path.realpath(folder), os.path.realpath(watched)):
        return False
    named = os.path.abspath(folder)
    return not any(is_under(named, top) and not hidden_below(named, top)
                   for top in (os.path.abspath(watched), os.path.realpath(watched)))


def already_watched_message(folder: str, watched: str) -> str:
    """Said for a folder dropped that the library already watches (as `watched`, itself or a
    folder around it whose walk finds it): there is nothing to ask."""
    if os.path.realpath(folder) != os.path.realpath(watched):
        where = f"inside {watched}, which is already watched"
    elif folder != watched:
        where = f"already watched as {watched}"
    else:
        where = "already watched"
    return f"{folder} is {where}: its photos are in the library. Drop one photo to search with it."


def with_folders_message(photo: str, photos: int, folders: list[str]) -> str:
    """Said when photos and folders are dropped together: the photo searched, the folders
    left alone (watching them is asked only when they are dropped on their own)."""
    name = printable(os.path.basename(photo))
    which = (f"the first of the {photos:,} photos given" if photos > 1
             else "the only photo given")
    left = (f"the folder {printable(os.path.basename(folders[0]) or folders[0])} was"
            if len(folders) == 1 else f"the {len(folders):,} folders were")
    return (f"Searching with {name}, {which}; {left} not added (drop a folder on its own to "
            "watch it).")


def image_mime(image: QImage) -> QMimeData:
    """Drop data holding only `image`, searched as any dropped image data is."""
    mime = QMimeData()
    mime.setImageData(image)
    return mime


def _is_data_url(text: str) -> bool:
    return text.lstrip()[:5].lower() == "data:"


def _data_url(mime) -> str | None:
    """The data: URL a drop or paste holds instead of files (a web page's inline picture), as
    its URL or as pasted text."""
    if mime is None or url_paths(mime):
        return None
    for url in mime.urls() if mime.hasUrls() else []:
        if url.scheme().lower() == "data":
            return bytes(url.toEncoded()).decode("ascii")
    text = mime.text().strip() if mime.hasText() else ""
    return text if _is_data_url(text) else None


def image_limits() -> tuple[int, int]:
    """The most bytes and pixels of dropped image data read: as Qt reads a browser's image data
    (its allocation limit, 256 MB by default, 4 bytes a pixel), and no more than the encoder
    reads of any photo (MAX_PIXELS)."""
    limit_mb = QImageReader.allocationLimit()
    if limit_mb <= 0:  # no limit set for Qt: the encoder's alone
        return MAX_PIXELS * 4, MAX_PIXELS
    return limit_mb * 2**20, min(MAX_PIXELS, limit_mb * 2**20 // 4)


def data_url_image(mime, how: str) -> tuple[QImage | None, str]:
    """The picture of the data: URL a drop or paste (`how`) holds, or why it cannot be searched
    with; (None, "") when it holds none. Decoded from memory: nothing is downloaded."""
    url = _data_url(mime)
    if url is None:
        return None, ""
    header, comma, payload = url[5:].partition(",")
    params = [p.strip().lower() for p in unquote(header).split(";")]
    media = params[0] or "text/plain"  # what a data: URL without a type holds (RFC 2397)
    if not comma:
        return None, (f"The {how} data: URL is damaged (no comma before its data): drop or "
                      "paste a photo file or an image to search with it.")
    if not media.startswith("image/"):
        return None, (f"The {how} data: URL holds {printable(media)}, not an image: drop or "
                      "paste a photo file or an image to search with it.")
    most_bytes, most_pixels = image_limits()
    is_base64 = "base64" in params[1:]
    raw = unquote_to_bytes(payload)
    if is_base64:
        raw = b"".join(raw.split())  # base64 text may be wrapped
    size = len(raw) * 3 // 4 if is_base64 else len(raw)
    if size > most_bytes:  # told before it is decoded
        return None, (f"The {how} image (a data: URL of {size / 2**20:,.3g} MB) is larger than "
                      f"the {most_bytes / 2**20:,.3g} MB Lookalike takes as image data: save it "
                      "as a file, then drop or paste the saved file.")
    data = raw
    if is_base64:
        try:
            data = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
        except binascii.Error:
            return None, (f"The {how} image's data: URL is damaged (its base64 text does not "
                          "decode): save the image as a file, then drop or paste the saved file.")
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)  # a JPEG's EXIF orientation, as the browser showed it
    shape = reader.size()
    if shape.isValid() and shape.width() * shape.height() > most_pixels:
        return None, (f"The {how} image (a data: URL) is {shape.width()}x{shape.height()} "
                      f"pixels, over the {most_pixels / 1e6:,.3g}-megapixel limit for image data: "
                      "save it as a file, then drop or paste the saved file.")
    image = reader.read()
    if image.isNull():
        return None, (f"The {how} image ({printable(media)} in a data: URL) could not be read "
                      f"({reader.errorString()}): save it as a file, then drop or paste the "
                      "saved file.")
    return image, ""


def not_a_photo_message(mime) -> str:
    """One short sentence: why this drop or paste is not searched, and what to do instead."""
    urls = mime.urls() if mime is not None and mime.hasUrls() else []
    text = mime.text().strip() if mime is not None and mime.hasText() else ""
    if not urls and text.lower().startswith(("http://", "https://")) and "\n" not in text:
        urls = [QUrl(text)]  # a web address pasted as text
    named = url_paths(mime) if urls else text_paths(mime)
    missing = [p for p in named if is_photo(p) and not os.path.exists(p)]
    if missing:
        return (f"{missing[0]}: there is no such file (moved, renamed or deleted?). Check the "
                "path, or drop the photo itself.")
    local = [p for p in named if os.path.exists(p)]
    if any(os.path.isdir(p) for p in local):
        return ("That is a folder: drop a single photo to search with it, or add the folder "
                "under Watched folders to index its photos.")
    if urls and not named:
        return ("Only photos on this computer can be searched (Lookalike downloads nothing): "
                "save the photo first, then drop the saved file.")
    if local:
        return (f"{printable(os.path.basename(local[0]))} is not a photo Lookalike can search "
                "with: drop or paste a photo file (JPEG, PNG, HEIC, camera raw…).")
    return ("Drop or paste a photo file (JPEG, PNG, HEIC, camera raw…) or an image to search "
            "with it.")
