"""A library folder of camera raw files beside JPEGs: each raw is indexed with the photo's own
size, found next to its camera JPEG, and searched with from outside the library."""

from __future__ import annotations

from photos import make_camera_raw, make_photo


def test_raw_files_are_indexed_and_found_beside_their_camera_jpegs(library, tmp_path):
    album = tmp_path / "camera"
    make_camera_raw(album / "IMG_0001.CR2", "chelsea", orientation=6)
    make_photo(album / "IMG_0001.JPG", "chelsea")  # the camera's RAW+JPEG pair (shown alike)
    make_camera_raw(album / "DSC_0002.NEF", "astronaut", preview_side=None)  # developed
    make_photo(album / "DSC_0003.jpg", "rocket")
    report = library.index_folder(album)
    assert (report.added, report.failed) == (4, 0)
    sizes = {p.path.rsplit("/", 1)[1]: (p.status, p.width, p.height) for p in library.photos()}
    assert sizes["IMG_0001.CR2"] == ("ok", 450, 300)  # stored sideways, upright by orientation 6
    assert sizes["DSC_0002.NEF"] == ("ok", 512, 512)
    raw = library.photo_by_path(album / "IMG_0001.CR2")
    nearest = library.similar(raw.id, k=3)
    assert nearest[0].path.endswith("IMG_0001.JPG")
    assert nearest[0].distance < nearest[1].distance


def test_a_raw_file_from_outside_the_library_searches_like_its_jpeg(library, tmp_path):
    album = tmp_path / "album"
    for name in ("chelsea", "astronaut", "rocket", "coffee"):
        make_photo(album / f"{name}.jpg", name)
    library.index_folder(album)
    outside = make_camera_raw(tmp_path / "card" / "DSCF0009.RAF", "coffee")
    assert library.similar_to_file(outside, k=1)[0].path.endswith("coffee.jpg")
