"""The thumbnails kept in memory stay within a byte budget, whatever their size: a count alone
(3,000) took about 300 MB at the default 160 pixels and 12 GB at thumbnail_size 1024
(bench/results/memory-use.md)."""

from __future__ import annotations

from photos import make_photo

from desktop_app.ui.thumbnails import MEMORY_BYTES, MIN_MEMORY_ITEMS, ThumbnailCache


def pixmap_bytes(cache: ThumbnailCache) -> int:
    return sum(p.width() * p.height() * p.depth() // 8 for p in cache._memory.values())


def test_big_thumbnails_kept_in_memory_stay_within_the_byte_budget(qtbot, tmp_path):
    edge = 1024  # the largest thumbnail_size: 4 MiB a thumbnail
    cache = ThumbnailCache(edge=edge, disk_cache=False, scale=1.0)
    photos = [str(make_photo(tmp_path / f"p{i}.jpg", "coffee", size=(40 + i, 30)))
              for i in range(MIN_MEMORY_ITEMS + 8)]
    for path in photos:
        with qtbot.waitSignal(cache.ready, timeout=10000):
            cache.pixmap(path)
    assert len(cache._memory) == MIN_MEMORY_ITEMS
    assert pixmap_bytes(cache) <= max(MEMORY_BYTES, MIN_MEMORY_ITEMS * 4 * edge ** 2)
    assert cache.pixmap(photos[-1]) is not None  # the newest are the ones kept
    cache.shutdown()


def test_the_default_size_keeps_fewer_thumbnails_than_the_budget_allows(qtbot):
    for scale in (1.0, 2.0):
        cache = ThumbnailCache(edge=160, disk_cache=False, scale=scale)
        side = round(160 * scale)
        assert cache._memory_items * 4 * side * side <= MEMORY_BYTES
        assert cache._memory_items > 300  # many screens of 1280x800 (40 cells each)


def test_never_fewer_than_the_least_count_are_kept(qtbot):
    """1024 pixels on a HiDPI screen (2048 in screen pixels, 16 MiB each): the budget holds 8,
    too few for the rows on screen in both grids (at 1024 pixels at ratio 1 it holds 32, the
    least count itself, so the test above cannot tell)."""
    cache = ThumbnailCache(edge=1024, disk_cache=False, scale=2.0)
    assert MEMORY_BYTES // (4 * 2048 ** 2) < MIN_MEMORY_ITEMS
    assert cache._memory_items == MIN_MEMORY_ITEMS
    cache.shutdown()
