"""A big file with a photo's name that is no image (a video named .jpg) is refused from its start
(images.read_bytes), and known by that start and its size: in a folder renamed while the app was
closed, the library knows it as the same file, as it knows a small one by its contents, and the
old folder (not there, so nothing in it removed) is forgotten instead of kept for that record."""

from __future__ import annotations

import os

from desktop_app.core import images


def _big_video_named_jpg(path, size=images.READ_WHOLE_BYTES + (3 << 20)):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41")  # an MP4's start
        f.seek(size - 5)
        f.write(b"movie")  # the rest sparse: zeros, then this
    return path


def test_a_big_non_image_is_known_in_a_renamed_folder(library, tmp_path, photo_factory):
    photo_factory("trip/beach.jpg", "chelsea")
    video = _big_video_named_jpg(tmp_path / "trip" / "clip.jpg")
    library.index_folders([tmp_path / "trip"])
    (failed,) = library.failed()
    assert failed.path == str(video)
    (recorded,) = library.store.query("SELECT fingerprint FROM photos WHERE id = ?",
                                      (failed.id,))[0]
    assert recorded.startswith("h") and recorded != images.fingerprint(video)

    os.rename(tmp_path / "trip", tmp_path / "trip-2026")  # while the app was closed
    library.index_folders([tmp_path / "trip", tmp_path / "trip-2026"])
    assert [p.path for p in library.failed()] == [str(tmp_path / "trip-2026" / "clip.jpg")]
    assert [f.path for f in library.folders()] == [str(tmp_path / "trip-2026")]
