"""The search snapshot after the library's connection was opened anew (the library file put
back after a disk cleaner deleted it: Store._put_back). Its key counted data versions and changes
per connection, which start again with the new one: counts equal by chance kept a snapshot
without the photos indexed since."""

from __future__ import annotations

from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store


def test_the_snapshot_is_rebuilt_after_the_connection_is_opened_anew(store, tiny_encoder,
                                                                       photo_factory):
    reader = PhotoLibrary(store, tiny_encoder, batch_size=4, decode_threads=1)
    writer = PhotoLibrary(Store(store.path), tiny_encoder, batch_size=4, decode_threads=1)
    try:
        writer.index_folder(photo_factory("one/chelsea.jpg", "chelsea").parent)
        assert len(reader.search_index().ids) == 1
        changes_before = store.conn.total_changes
        store.conn = store._connect()  # as a put-back does: a new connection, counts anew
        writer.index_folder(photo_factory("two/coffee.jpg", "coffee").parent)
        # The new connection's counts come to the old ones' (its data version is 3 again after
        # one write by another connection; its own writes to a scratch table make the rest).
        store.conn.execute("CREATE TEMP TABLE pad (x)")
        while store.conn.total_changes < changes_before:
            store.conn.execute("INSERT INTO pad VALUES (1)")
        assert len(reader.search_index().ids) == 2
    finally:
        writer.store.close()
