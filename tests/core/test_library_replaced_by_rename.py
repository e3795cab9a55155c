"""A photo replaced by another file renamed over it (an editor's save: write a temporary file,
rename it over the photo), the new file of the same size and with the old one's mtime (`cp -p`,
a backup restored): its inode change time is the rename's, so it is read again and encoded.
Real files, a real SQLite library and the tiny real ONNX model."""

from __future__ import annotations

import os

import pytest
from photos import make_photo, pad_to_same_size

pytestmark = pytest.mark.skipif(os.name == "nt", reason="st_ctime is the creation time there")


@pytest.mark.parametrize("how", ["index_paths", "index_folder"])
def test_a_photo_replaced_by_a_rename_over_it_keeping_size_and_mtime_is_encoded_again(
        library, tmp_path, how):
    folder = tmp_path / "album"
    path = make_photo(folder / "photo.jpg", "chelsea")
    saved = make_photo(tmp_path / "editor" / "photo.jpg", "rocket")  # its temporary file
    pad_to_same_size(path, saved)
    st = os.stat(path)
    os.utime(saved, ns=(st.st_atime_ns, st.st_mtime_ns))
    new = library.encode_file(saved)
    library.index_folder(folder)
    photo = library.photo_by_path(path)
    os.replace(saved, path)
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    report = (library.index_paths([path]) if how == "index_paths"
              else library.index_folder(folder))
    assert (report.updated, report.unchanged) == (1, 0)
    assert (library.search_index().code_of(photo.id) == new).all()
