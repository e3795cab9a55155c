"""PhotoLibrary: index folders into codes, keep the index true to the disk, answer searches.

Indexing is a reconcile (mark and sweep): walk the folder, skip files whose size, mtime and
inode change time are unchanged (scan.change_time: a rewrite that keeps size and mtime still
changes it), read the rest (fingerprint first: content that already has codes is a move, rename,
copy or the same file touched, and is not decoded or encoded again), encode new content in
batches, record failures per file, then remove records of files that are gone (and of files in
folders the walk skips, which an earlier version indexed). A record follows its file: that of a
file gone, or of one whose name now holds other content (renamed away, its name taken by
another: a renaming tool shifting numbers, two names swapped), moves to where its content is
found. Writes are committed in transactions of many rows, so stopping or crashing loses at most
the last uncommitted batch (and a crash those that wait for the end of the run, see _reconcile:
in a renumbered folder every move, read again but not encoded again), and running again
resumes.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

import numpy as np

from ..log import Shown
from . import images, raw_twins
from .crash_journal import Crash
from .duplicates import default_duplicate_distance, duplicate_groups
from .encoder import Encoder
from .errors import LookalikeError, PhotoReadError, printable
from .hashing import HammingIndex
from .model_registry import is_shipped_default, shipped_in_place_of
from .pipeline import Prepared, default_decode_threads, ordered_map, prepare
from .preprocess import draft_target, preprocess
from .records import (
    STATUS_FAILED,
    STATUS_OK,
    Folder,
    IndexReport,
    Match,
    Photo,
    Progress,
    ShouldStop,
    same_content_stamps,
)
from .scan import (
    FileEntry,
    Looking,
    ScanResult,
    dangling_link_problem,
    hidden_below,
    is_under,
    left_out,
    normalise_folder,
    not_walked,
    outermost_hidden,
    scan_folder,
    stat_entry,
)
from .store import Store, decode_path, encode_path
from .wording import count_of

log = logging.getLogger(__name__)

GPU_BATCH_SIZE = 32  # photos per encoder call on a GPU...
# ...and on a CPU: EfficientNet-Lite0 at 224 px costs 17 ms of CPU per photo one at a time but
# 21 ms in batches of 8-32 (activations of a big batch fall out of the cache; bench/results).
CPU_BATCH_SIZE = 1


def default_batch_size(encoder: Encoder) -> int:
    return GPU_BATCH_SIZE if encoder.uses_gpu else CPU_BATCH_SIZE

COMMIT_ROWS = 256  # rows per transaction at most...
COMMIT_SECONDS = 2.0  # ...and at least this often, so a stop or crash loses little
# Rounds of a model switch that encode photos another process added meanwhile, at most.
ACTIVATE_ROUNDS = 5
# Up to this many files to read, their content is looked up one by one once read, instead of
# loading every fingerprint of the library first (0.6 s for one watcher event at 200,000
# photos, bench/results/library-scale.md); more, and one query for all costs less.
LOOK_UP_CONTENT_UP_TO = 256
# The meta key of the folders seen holding a mounted drive (a JSON list): once that drive is
# unmounted, the empty folder left behind must not read as "every photo deleted".
MOUNT_POINTS_KEY = "mount_points"
# Codes of photos the watcher reported deleted, kept in memory by content (at most this many):
# put back (the trash's undo) or moved back into a folder, they are not decoded and encoded again.
FORGOTTEN_KEPT = 20_000
# Some file systems keep times in whole seconds: FAT32 in 2 s steps (SD cards, USB sticks),
# HFS+, ext3, some network shares; and on FAT the change time is the mtime. There a
# photo rewritten with the same size in the same step as the read that indexed it keeps size,
# mtime and change time (git's "racily clean" files). So a record whose whole-second mtime is
# this close to when the file was read (indexed_at, stamped as its bytes began to be read, not
# when the record was written: slow decodes or a long batch put seconds between them) is not
# trusted: the next run reads the file again (one read and hash; decoded only if the content
# differs). 2 s is FAT's step; the rest covers a share's clock ahead of or behind this one.
RACY_S = 10.0


@dataclass
class _Row:
    id: int
    path: str
    folder_id: int
    size: int
    mtime: float
    ctime_ns: int | None  # None: not known (indexed before it was kept, or on Windows)
    status: str
    fingerprint: str | None
    has_code: bool
    indexed_at: float = 0.0  # when the file was read for the record (wall clock; RACY_S)


class PhotoLibrary:
    """The app's one entry point to the library. Use it on one thread (see Store)."""

    def __init__(self, store: Store, encoder: Encoder, batch_size: int | None = None,
                 decode_threads: int | None = None, activate_if_none: bool = True) -> None:
        """`activate_if_none`: record `encoder` as the library's active model when it has none
        (False for a one-off model, e.g. the command line's --model)."""
        self.store = store
        self.encoder = encoder
        self.batch_size = batch_size or default_batch_size(encoder)
        self.decode_threads = decode_threads or default_decode_threads()
        self._index: HammingIndex | None = None
        self._index_key: tuple | None = None
        # fingerprint -> ({model id: code}, width, height) of photos forgotten by remove_paths
        self._forgotten: OrderedDict[str, tuple[dict[str, bytes], int | None, int | None]] = (
            OrderedDict())
        # The active model's record when another model was exported into its folder since
        # (`lookalike train --out` into it): the one found there is used, and made active.
        self.replaced_active: dict | None = None
        if not store.readonly:
            replaced = self._exported_over() if activate_if_none else None
            self._register(encoder, move=False)
            if activate_if_none and (store.active_model_id() is None or replaced):
                store.set_active_model(encoder.model_id)
                self.replaced_active = replaced

    def _exported_over(self) -> dict | None:
        """The active model's record, if `encoder` is another model loaded from its folder."""
        active = self.store.active_model_id()
        if not active or active == self.encoder.model_id:  # the usual case: no query
            return None
        record = self.store.model(active)
        if record is None or not record["path"]:
            return None
        # A folder gone is not replaced, unless it was the default an earlier installation
        # shipped and `encoder` is the one this installation ships in its place.
        folder = shipped_in_place_of(record) or record["path"]
        try:
            same = os.path.samefile(folder, self.encoder.model.path)
        except OSError:
            return None
        return record if same else None

    def replaced_active_message(self) -> str | None:
        """One sentence for the user when the active model was replaced in its folder."""
        old = self.replaced_active
        if old is None:
            return None
        if not os.path.isdir(old["path"]):  # an earlier installation's default, gone with it
            where = (f"{printable(str(self.encoder.model.path))} holds the model "
                     f"'{self.encoder.card.name}' (shipped with this version of Lookalike in "
                     f"place of '{old['name']}', which was in {printable(old['path'])})")
        else:  # the shipped default's folder: a new version of Lookalike came with another
            how = (f"shipped with this version of Lookalike in place of '{old['name']}'"
                   if is_shipped_default(old)
                   else f"exported there since '{old['name']}' was made active")
            where = (f"{printable(old['path'])} now holds the model "
                     f"'{self.encoder.card.name}' ({how})")
        return (f"{where}: the library uses it "
                "now, and its photos are encoded with it as they are indexed (searches find "
                "more of them as they are). The old model's codes are kept.")

    def _window(self) -> int:
        """Photos decoded ahead of the encoder: enough to keep every decoder thread busy."""
        return max(2 * self.batch_size, 4 * self.decode_threads)

    # -- models ---------------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    @property
    def bits(self) -> int:
        return self.encoder.bits

    def _register(self, encoder: Encoder, move: bool = True) -> None:
        card = encoder.card
        if not move:  # still move a record whose folder is gone (the model was found elsewhere)
            known = self.store.model(card.model_id)
            move = not (known and known["path"] and os.path.isdir(known["path"]))
        self.store.register_model(card.model_id, card.name, card.bits, str(encoder.model.path),
                                  card.to_json(), move=move)

    def activate_model(self, encoder: Encoder, progress: Progress | None = None,
                       should_stop: ShouldStop | None = None) -> IndexReport:
        """Encode every photo with `encoder` beside the old codes, then make it the active model.
        Stopped early, the old model stays active and the codes made so far are kept.
        Photos another process adds meanwhile (an index still using the old model) are encoded
        too before the switch: one round per batch of newcomers, ACTIVATE_ROUNDS at most."""
        self._register(encoder)
        report = IndexReport()
        report.unchanged = self.store.query(
            "SELECT COUNT(*) FROM codes WHERE model_id = ?", (encoder.model_id,))[0][0]
        tried: set[int] = set()  # read this run: one that failed is not read again each round
        done = 0
        for _ in range(ACTIVATE_ROUNDS):
            rows = self._lacking_codes(encoder.model_id, tried)
            tried.update(r[0] for r in rows)
            started, encoded = time.perf_counter(), report.updated
            done = self._encode_for_activation(encoder, rows, report, progress, should_stop,
                                               done)
            _log_activation_round(encoder, len(rows), report, report.updated - encoded, started)
            if report.stopped:
                return report
            with self.store.transaction():
                # Checked again with the write lock held: no photo can be added between this
                # check and the switch.
                if not self._lacking_codes(encoder.model_id, tried):
                    self.store.set_active_model(encoder.model_id)
                    break
        else:  # photos kept coming: switch anyway, and say which are left to encode
            left = len(self._lacking_codes(encoder.model_id, tried))
            report.failed += left
            report.errors.append(("", str(LookalikeError(
                None, f"{left} photos added by another Lookalike process while the library was "
                f"being encoded with {encoder.card.name} have no code from it yet",
                "Run `lookalike index FOLDER` for their folders"))))
            self.store.set_active_model(encoder.model_id)
        self.encoder = encoder
        self._index = None
        return report

    def _lacking_codes(self, model_id: str, tried: set[int]) -> list[tuple]:
        """(id, path, size, mtime, fingerprint) of readable photos with no code from this model,
        but those in `tried`."""
        rows = self.store.query(
            "SELECT p.id, p.path, p.size, p.mtime, p.fingerprint FROM photos p "
            "WHERE p.status = ? AND NOT "
            "EXISTS (SELECT 1 FROM codes c WHERE c.photo_id = p.id AND c.model_id = ?) "
            "ORDER BY p.id", (STATUS_OK, model_id))
        return [r for r in rows if r[0] not in tried]

    def _encode_for_activation(self, encoder: Encoder, rows: list[tuple], report: IndexReport,
                               progress: Progress | None, should_stop: ShouldStop | None,
                               done: int) -> int:
        """One round of activate_model: encode `rows`. Returns the photos done so far."""
        entries = {decode_path(r[1]): r[0] for r in rows}
        fingerprints = {r[0]: r[4] for r in rows}
        root_present = self._root_checker(remember=False)
        folders = self.folders()
        lost_roots: dict[str, int] = {}
        spec = encoder.card.input
        writer = _Writer(self.store)
        batch: list[tuple[int, Prepared]] = []
        total = done + len(rows)
        _tell(progress, done, total)

        def encode_batch() -> None:
            codes = encoder.encode_pixels(np.stack([p.pixels for _, p in batch]))
            for (photo_id, _), code in zip(batch, codes):
                # Only if the photo is still there: `forget` in another process may have
                # removed it meanwhile (its code would break a foreign key).
                writer.add("INSERT OR REPLACE INTO codes(photo_id, model_id, code) "
                           "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM photos WHERE id = ?)",
                           (photo_id, encoder.model_id, code.tobytes(), photo_id))
            report.updated += len(batch)
            batch.clear()

        work = (FileEntry(decode_path(r[1]), r[2], r[3]) for r in rows)
        results = ordered_map(lambda e: prepare(e, spec), work, self.decode_threads,
                              window=self._window())
        try:
            for prepared in results:
                photo_id = entries[prepared.entry.path]
                if prepared.gone:  # deleted since it was indexed: nothing to encode
                    if root_present(prepared.entry.path):  # not an unplugged drive
                        writer.add("DELETE FROM photos WHERE id = ?", (photo_id,))
                        report.removed += 1
                    else:  # its folder is missing: said below, and the photo counts as failed
                        root = self._root_of(prepared.entry.path, folders)
                        lost_roots[root] = lost_roots.get(root, 0) + 1
                        report.failed += 1
                elif prepared.error:
                    report.failed += 1
                    report.errors.append((prepared.entry.path, prepared.error))
                    if prepared.fingerprint not in (None, fingerprints[photo_id]):
                        # The file changed since it was indexed and cannot be read now: its
                        # old codes describe a picture that is gone.
                        writer.add("UPDATE photos SET status = ?, error = ? WHERE id = ?",
                                   (STATUS_FAILED, printable(prepared.error), photo_id))
                        writer.add("DELETE FROM codes WHERE photo_id = ?", (photo_id,))
                    # Same content, or the file could not be read at all (locked, permission):
                    # reported above; its status and codes stay, and the next index tries again.
                else:
                    batch.append((photo_id, prepared))
                    if len(batch) >= self.batch_size:
                        encode_batch()
                done += 1
                _tell(progress, done, total)
                writer.maybe_flush()
                if should_stop and should_stop():
                    report.stopped = done < total
                    break
        finally:
            results.close()
        if batch:
            encode_batch()
        writer.flush()
        for root, count in sorted(lost_roots.items()):
            report.errors.append((root, str(LookalikeError(
                root, f"the folder is not there (an unplugged drive?), so its {count} photos "
                f"were not encoded with {encoder.card.name} and keep their old codes",
                f"Reconnect the drive or restore the folder, then activate {encoder.card.name} "
                "again (or index the folder)"))))
        return done

    # -- folders --------------------------------------------------------------------------
    def folders(self) -> list[Folder]:
        return library_folders(self.store)

    def _folder_for(self, path: str, folders: list[Folder] | None = None) -> Folder | None:
        """The library folder that holds `path` (the deepest one if nested); `folders`: the
        list to look in, when the caller already has it (no query per photo)."""
        best = None
        for folder in folders if folders is not None else self.folders():
            if is_under(path, folder.path) and (best is None or len(folder.path) > len(best.path)):
                best = folder
        return best

    def add_folder(self, path: str | os.PathLike) -> Folder:
        """Add a folder to the library (not indexed yet). A folder inside one already in the
        library is covered by it and returns that folder, unless that folder's walk skips it
        (scan.hidden_below: a hidden folder, a Photos library's previews): then it is a library
        folder of its own, walked on its own (the check of the folder around it removes the
        photos it skips: see _skipped)."""
        path = normalise_folder(path)
        if not os.path.isdir(path):
            raise LookalikeError(path, "this folder does not exist or is not a folder",
                                 "Check the path (is the drive connected?)")
        parent = self._folder_for(path)
        if parent is not None and not hidden_below(path, parent.path):
            return parent
        folder_id = self.store.insert_folder(path)
        # Folders already in the library that sit inside the new one become part of it, but
        # those its walk skips.
        inner = [f for f in self.folders() if f.id != folder_id and is_under(f.path, path)
                 and not hidden_below(f.path, path)]
        # Its photos that the folder around it held (a version before this rule merged it
        # into that folder, and `lookalike index` of it too) are its own now.
        held = [r.id for r in self._rows_under(path).values()
                if r.folder_id == parent.id] if parent is not None else []
        if inner or held:
            with self.store.transaction() as conn:
                for f in inner:
                    conn.execute("UPDATE photos SET folder_id = ? WHERE folder_id = ?",
                                 (folder_id, f.id))
                    conn.execute("DELETE FROM folders WHERE id = ?", (f.id,))
                conn.executemany("UPDATE photos SET folder_id = ? WHERE id = ?",
                                 [(folder_id, pid) for pid in held])
        return next(f for f in self.folders() if f.id == folder_id)

    def remove_folder(self, path: str | os.PathLike,
                      keep: Iterable[str | os.PathLike] = ()) -> int:
        """Forget a folder and its photos: see forget_folder (which needs no model)."""
        return forget_folder(self.store, path, keep)

    # -- indexing -------------------------------------------------------------------------
    def index_folder(self, path: str | os.PathLike, progress: Progress | None = None,
                     should_stop: ShouldStop | None = None,
                     looking: Looking | None = None) -> IndexReport:
        """Reconcile one folder (added if new) with the disk. See the module docstring.
        `looking`: told the photos found so far while the folder is walked (scan_folder)."""
        return self.index_folders([path], progress, should_stop, looking=looking)[0]

    def index_folders(self, paths: Iterable[str | os.PathLike],
                      progress: Progress | None = None,
                      should_stop: ShouldStop | None = None,
                      progress_for: Callable[[str], Progress | None] | None = None,
                      retry_failed: bool = False,
                      looking: Looking | None = None) -> list[IndexReport]:
        """Reconcile several folders, one report each (fewer if stopped early). Records of
        missing files are swept only after every folder has been read, so a photo moved from
        one of them to another keeps its record and codes. Then library folders gone from the
        disk with no photo left (renamed or moved) are forgotten. Records in folders the walks
        skip (indexed by a version before that rule; not under a hidden name: see _skipped)
        are swept with them, files there or not.
        `progress_for(folder)`, if given, makes the progress callback of each folder in turn
        (one progress bar per folder).
        `retry_failed`: read the photos that failed before again, changed or not. `looking`:
        told the photos found so far by each folder's walk (from 0 again for each)."""
        reports: list[IndexReport] = []
        pending: list[tuple[str, IndexReport, dict[int, str], list[str]]] = []
        quiet: set[int] = set()  # swept without being counted (see _settle)
        # Those not added yet (`lookalike index A B`) are library folders too: no walk follows a
        # link into one. An iterator is left to be read as it goes: the app's start check skips
        # a folder removed before its turn (its folders are all added already).
        alongside = ([normalise_folder(p) for p in paths] if isinstance(paths, Collection)
                     else [])
        for path in paths:
            gone: dict[int, str] = {}
            passed_by: list[str] = []
            if progress_for is not None:
                progress = progress_for(os.fspath(path))
            report = self._index_one(path, progress, should_stop, gone, retry_failed, looking,
                                     alongside, passed_by, quiet)
            reports.append(report)
            pending.append((normalise_folder(path), report, gone, passed_by))  # as the log names it
            if report.stopped:
                log.info("stopped: nothing swept")
                return reports  # sweep nothing: the folders not read yet may hold the moves
        for path, report, gone, passed_by in pending:
            # Judged now, every folder added: one inside a skipped part is walked on its own.
            skipped = (self._skipped(gone.values())
                       | self._unreached(gone.values(), passed_by))
            swept = self._sweep(gone, skipped, quiet)
            report.removed += swept
            if log.isEnabledFor(logging.INFO):
                log.info("%s: swept %s of photos the walk did not find (%d in folders it "
                         "skips), kept %d (a drive or folder missing, or moved meanwhile); %d "
                         "moved, %d removed in all", Shown(path), count_of(swept, "record"),
                         len(skipped), len(gone) - swept, report.moved, report.removed)
        self._drop_vanished_empty_folders()
        return reports

    def _drop_vanished_empty_folders(self) -> None:
        """Forget library folders that are gone from the disk and hold no photo any more: a
        folder renamed or moved (its photos moved with it to the new name). A missing folder
        that still holds photos is kept: it may be on an unplugged drive."""
        for folder in self.folders():
            if not os.path.isdir(folder.path) and not self.store.query(
                    "SELECT 1 FROM photos WHERE folder_id = ? LIMIT 1", (folder.id,)):
                log.info("forgetting %s: it is gone from the disk and holds no photo",
                         printable(folder.path))
                self.store.delete_folder(folder.id)

    def _index_one(self, path: str | os.PathLike, progress: Progress | None,
                   should_stop: ShouldStop | None, sweep: dict[int, str],
                   retry_failed: bool = False, looking: Looking | None = None,
                   alongside: Collection[str] = (),
                   passed_by: list[str] | None = None,
                   quiet: set[int] | None = None) -> IndexReport:
        """`alongside`: the folders indexed with it, library folders too (some not added yet).
        `passed_by`: given the folders the walk did not enter (ScanResult.passed_by). `sweep`
        and `quiet`: see _reconcile."""
        root = normalise_folder(path)
        report = IndexReport()
        elsewhere = sorted({f.path for f in self.folders()}.union(alongside) - {root})
        log.info("%s: walking the folder", Shown(root))
        started = time.perf_counter()
        scan = self._scan(root, should_stop=should_stop, looking=looking, elsewhere=elsewhere)
        if log.isEnabledFor(logging.INFO):
            log.info("%s: walked in %.2f s: %s, %s not fully listed, %s passed by%s",
                     Shown(root), time.perf_counter() - started,
                     count_of(len(scan.files), "photo file"),
                     count_of(len(scan.incomplete), "folder"),
                     count_of(len(scan.passed_by), "link"),
                     "; stopped" if scan.stopped else "; missing" if scan.root_missing else "")
        if scan.stopped:  # nothing written: running again walks the folder again
            report.stopped = True
            return report
        if passed_by is not None:
            passed_by.extend(scan.passed_by)
        report.errors.extend(scan.problems)
        if scan.root_missing:
            return report
        folder = self.add_folder(root)
        rows = self._rows("WHERE p.folder_id = ?", (folder.id,))
        if folder.path != root:  # indexing a subfolder of a library folder
            rows = {p: r for p, r in rows.items() if is_under(p, root)}
        report.errors.extend(_dangling_links_holding(scan, rows))
        return self._reconcile(scan.files, rows, scan, lambda _p: folder.id, report,
                               progress, should_stop, sweep, retry_failed, what=root,
                               quiet=quiet)

    def index_paths(self, paths: Iterable[str | os.PathLike], progress: Progress | None = None,
                    should_stop: ShouldStop | None = None,
                    looking: Looking | None = None) -> IndexReport:
        """Index changed files and folders (from the watcher); paths that no longer exist are
        removed. Each path must be inside a library folder. `looking`: told the photos found
        so far by the walk of each folder among the paths."""
        report = IndexReport()
        entries: list[FileEntry] = []
        rows: dict[str, _Row] = {}
        scans: list[ScanResult] = []
        gone: list[str] = []
        folders = self.folders()
        for raw in paths:
            path = self._as_stored(os.path.abspath(os.fspath(raw)), folders)
            folder = self._folder_for(path, folders)
            if folder is None:
                report.errors.append((path, (f"{path}: is not inside a library folder. Add "
                                             "its folder to the library first.")))
                continue
            hidden = outermost_hidden(path, folder.path)
            if hidden is not None and os.path.lexists(path) and not self._holds_photos(hidden):
                # Skipped, as scan_folder skips it (a drive's trash folder, .cache); unless
                # photos were indexed there: a hidden folder watched by name (a folder
                # around it added later merged it) is walked from itself, and indexed.
                continue
            if os.path.isdir(path):
                elsewhere = [f.path for f in folders if f.id != folder.id]
                if not_walked(path, folder.path, elsewhere):
                    # A link the walk of its library folder does not follow (back to a folder
                    # holding it; into that library folder, or another), or a folder in one:
                    # walked under that name, every photo of the folder it leads to would get
                    # a second record.
                    continue
                # Walked under the path as given, so its photos are named as the records are
                # (a folder link: as the walk of its library folder names them, through it),
                # following the links that walk follows.
                scan = self._scan(path, library_folder=normalise_folder(path) == folder.path,
                                  should_stop=should_stop, looking=looking, as_named=True,
                                  elsewhere=[folder.path, *elsewhere])
                if scan.stopped:  # nothing written yet: running again reads every path again
                    report.stopped = True
                    return report
                scans.append(scan)
                report.errors.extend(scan.problems)
                entries.extend(scan.files)
                rows.update(self._rows_under(path))
                report.errors.extend(_dangling_links_holding(scan, rows))
            elif os.path.lexists(path):
                entry = stat_entry(path)
                # Only photo names, as scan_folder: a folder link whose drive is unplugged
                # (a dangling link) is not a failed photo.
                if entry is not None and images.is_photo(path):
                    entries.append(entry)
                    rows.update(self._rows("WHERE p.path = ?", (encode_path(path),)))
            else:
                # Deleted, or moved away: its record is swept after the new paths are read, so
                # a move reported as "deleted + created" keeps its codes.
                gone.append(path)
                rows.update(self._rows_under(path))

        def folder_of(p: str) -> int:
            found = self._folder_for(p)
            return found.id if found else 0

        return self._reconcile(entries, rows, _Coverage(scans, gone), folder_of, report,
                               progress, should_stop, what="changed paths",
                               level=logging.DEBUG)

    def remove_paths(self, paths: Iterable[str | os.PathLike]) -> int:
        """Forget deleted files, or everything under a deleted folder. Records whose file is
        still on disk are kept (a late or wrong event must not lose anything)."""
        doomed: list[int] = []
        folders = self.folders()
        # The watcher reports removals in folders the walk skips too (a version before that
        # rule indexed photos there): one lookup a skipped folder, not one a path, as a cache's
        # clean-up (~/.cache/thumbnails, in a watched home folder) removes thousands at once.
        holding: dict[str, bool] = {}
        for raw in paths:
            path = self._as_stored(os.path.abspath(os.fspath(raw)), folders)
            folder = self._folder_for(path, folders)
            hidden = outermost_hidden(path, folder.path) if folder is not None else None
            if hidden is not None:
                if hidden not in holding:
                    holding[hidden] = self._holds_photos(hidden) or bool(self.store.query(
                        "SELECT 1 FROM photos WHERE path = ?", (encode_path(hidden),)))
                if not holding[hidden]:
                    continue
            for p, row in self._rows_under(path).items():
                if stat_entry(p) is None:  # gone, or a folder now holds its name
                    doomed.append(row.id)
        doomed = sorted(set(doomed))
        self._keep_codes(doomed)
        count = self.store.delete_photos(doomed)
        return count

    def _keep_codes(self, photo_ids: list[int]) -> None:
        """Remember the codes of photos about to be forgotten, by content (see FORGOTTEN_KEPT)."""
        kept: dict[str, tuple[dict[str, bytes], int | None, int | None]] = {}
        for start in range(0, len(photo_ids), 500):
            chunk = photo_ids[start:start + 500]
            for fp, width, height, model_id, code in self.store.query(
                    "SELECT p.fingerprint, p.width, p.height, c.model_id, c.code FROM photos p "
                    "JOIN codes c ON c.photo_id = p.id WHERE p.status = ? AND p.fingerprint "
                    f"IS NOT NULL AND p.id IN ({','.join('?' * len(chunk))})",
                    (STATUS_OK, *chunk)):
                kept.setdefault(fp, ({}, width, height))[0][model_id] = code
        for fp, entry in kept.items():
            self._forgotten[fp] = entry
            self._forgotten.move_to_end(fp)
        while len(self._forgotten) > FORGOTTEN_KEPT:
            self._forgotten.popitem(last=False)

    def _forgotten_codes(self, fingerprint: str | None) -> dict[str, bytes] | None:
        """The codes kept of a forgotten photo with this content, if one of them is the active
        model's. (All are of models the library has: codes reference models, and no model
        record is ever deleted.)"""
        entry = self._forgotten.get(fingerprint) if fingerprint else None
        return entry[0] if entry is not None and self.model_id in entry[0] else None

    def retry_failed(self, progress: Progress | None = None,
                     under: str | os.PathLike | None = None,
                     should_stop: ShouldStop | None = None) -> IndexReport:
        """Read every failed photo again, changed or not; only those under `under` if given.
        Records in a library folder that is missing now (an unplugged drive) are left alone.
        Stopped early (pause, quit), the photos not read yet stay failed."""
        rows = self._rows("WHERE p.status = ?", (STATUS_FAILED,))
        if under is not None:
            top = normalise_folder(under)
            rows = {p: r for p, r in rows.items() if is_under(p, top)}
        present = self._root_checker()
        rows = {p: r for p, r in rows.items() if present(p)}
        entries = []
        report = IndexReport()
        for path, row in rows.items():
            entry = stat_entry(path)
            if entry is None:
                self.store.delete_photos([row.id])
                report.removed += 1
            else:
                entries.append(entry)
                row.size = -1  # force a fresh read
        return self._reconcile(entries, rows, None, lambda p: rows[p].folder_id, report,
                               progress, should_stop, retry_failed=True,
                               what="failed photos")

    def _scan(self, folder: str, library_folder: bool = True,
              should_stop: ShouldStop | None = None,
              looking: Looking | None = None, as_named: bool = False,
              elsewhere: Collection[str] = ()) -> ScanResult:
        """scan_folder, with the mount points seen before; those it sees (or no longer sees)
        under `folder` are remembered for the next scans (a stopped scan covers nothing, so
        it forgets none). `elsewhere`: the library folders walked on their own (no link into
        one is followed)."""
        known = self._mount_points()
        scan = scan_folder(folder, was_mounted=known, library_folder=library_folder,
                           should_stop=should_stop, looking=looking, as_named=as_named,
                           walked_elsewhere=elsewhere)
        # Kept: those elsewhere, and those the scan could not look at (not mounted now, or in
        # a folder it could not open); a folder found plain and not empty is one no longer.
        # Also one behind a link the walk does not follow, while photos an earlier walk named
        # there are left (R/a_link -> R/z_mount): its drive not mounted, they are kept.
        now = {m for m in known if not (is_under(m, scan.root) and scan.covers(m))
               or (not_walked(m, scan.root, elsewhere) and self._holds_photos(m))}
        now.update(scan.mount_points)
        if now != known and not self.store.readonly:
            self.store.set_meta(MOUNT_POINTS_KEY, json.dumps(sorted(now)) if now else None)
        return scan

    def _mount_points(self) -> set[str]:
        """The folders seen holding a mounted drive (see _scan)."""
        try:
            found = json.loads(self.store.get_meta(MOUNT_POINTS_KEY) or "[]")
        except ValueError:
            return set()
        return {m for m in found if isinstance(m, str)} if isinstance(found, list) else set()

    def _rows(self, where: str, params=()) -> dict[str, _Row]:
        sql = (f"SELECT p.id, p.path, p.folder_id, p.size, p.mtime, {self.store.ctime_column}, "
               "p.status, p.fingerprint, "
               "EXISTS (SELECT 1 FROM codes c WHERE c.photo_id = p.id AND c.model_id = ?), "
               f"p.indexed_at FROM photos p {where}")
        found = self.store.query(sql, (self.model_id, *params))
        return {decode_path(r[1]): _Row(r[0], decode_path(r[1]), *r[2:8], bool(r[8]), r[9])
                for r in found}

    def _rows_under(self, path: str) -> dict[str, _Row]:
        rows = self._rows(*_at_or_under(path))
        return {p: r for p, r in rows.items() if is_under(p, path)}

    def _holds_photos(self, folder: str) -> bool:
        """Has the library a photo under `folder`? (A lookup in the path index.)"""
        prefix = folder.rstrip(os.sep) + os.sep
        raw = os.fsencode(prefix)
        ranges = [(raw, raw[:-1] + bytes([raw[-1] + 1]))]  # names not UTF-8: stored as bytes
        if isinstance(encode_path(prefix), str):
            ranges.append((prefix, prefix[:-1] + chr(ord(os.sep) + 1)))
        return any(self.store.query("SELECT 1 FROM photos WHERE path >= ? AND path < ? LIMIT 1",
                                    bounds) for bounds in ranges)

    def _known_content(self) -> dict[str, list[int]]:
        """fingerprint -> photo ids whose codes for the current model exist."""
        known: dict[str, list[int]] = {}
        for fp, photo_id in self.store.query(
                "SELECT p.fingerprint, p.id FROM photos p JOIN codes c ON c.photo_id = p.id "
                "AND c.model_id = ? WHERE p.status = ? AND p.fingerprint IS NOT NULL",
                (self.model_id, STATUS_OK)):
            known.setdefault(fp, []).append(photo_id)
        return known

    def _content_known(self, prepared: Prepared, known: dict[str, list[int]]) -> bool:
        """Does a photo with this content have codes from this model (a move, a copy, or the
        file touched)? Looked up once per content, and remembered in `known`."""
        fp = prepared.fingerprint
        if fp is None:
            return False
        if fp not in known:
            known[fp] = [pid for (pid,) in self.store.query(
                "SELECT p.id FROM photos p JOIN codes c ON c.photo_id = p.id AND c.model_id = ? "
                "WHERE p.status = ? AND p.fingerprint = ?", (self.model_id, STATUS_OK, fp))]
        return bool(known[fp])

    def _reconcile(self, entries: list[FileEntry], rows: dict[str, _Row], scan, folder_of,
                   report: IndexReport, progress: Progress | None,
                   should_stop: ShouldStop | None,
                   sweep: dict[int, str] | None = None,
                   retry_failed: bool = False, what: str = "",
                   level: int = logging.INFO, quiet: set[int] | None = None) -> IndexReport:
        """`sweep`: collect the records of vanished files there instead of deleting them now
        (and in `quiet` the ids of those not to count as removed, see _settle).
        `retry_failed`: failed photos are read again even when unchanged. `what`: the folder
        (or what else) the log's summary at `level` names; each photo's outcome is logged at
        DEBUG.

        A file whose record depends on a file not read yet waits for the end of the run
        (_settle): one whose name's record may follow its own file elsewhere (the name now holds
        other content), or whose content's record has such a name, or one still to be read. Its
        new content is encoded meanwhile; at most COMMIT_ROWS of those wait (more, and the
        oldest is written in place)."""
        started = time.perf_counter()
        debug = log.isEnabledFor(logging.DEBUG)  # once: each photo's line costs nothing else
        timing = _Timing()
        seen = {e.path for e in entries}
        lost_roots: set[str] = set()
        root_present = self._root_checker(remember=False)
        folders = self.folders()

        vanished = {p: r for p, r in rows.items()
                    if p not in seen and scan is not None and scan.covers(p)}
        writer = _Writer(self.store)
        work: list[FileEntry] = []
        for entry in entries:
            row = rows.get(entry.path)
            if _why_read(row, entry, retry_failed) is None:
                report.unchanged += 1
                if row.ctime_ns is None and entry.ctime_ns is not None:
                    # Indexed before change times were kept: trusted on size and mtime, as
                    # then (reading a whole library again after an upgrade would take hours).
                    writer.note_change_time(row.id, entry.ctime_ns)
                    writer.maybe_flush()
            else:
                work.append(entry)
        # fingerprint -> photo ids with codes from this model: all of them now, or (few files)
        # each read file's content looked up when it is read (_content_known).
        one_by_one = len(work) <= LOOK_UP_CONTENT_UP_TO
        known = {} if one_by_one else self._known_content()
        moves = _Moves({r.id: p for p, r in vanished.items()}, rows, {e.path for e in work})
        waiting: list[_Waiting] = []  # content the library has: which record is decided last
        waiting_new: deque[_Waiting] = deque()  # new content, in a name whose record may go
        batch: list[Prepared] = []
        total, done = len(work), 0
        _tell(progress, 0, total)
        model_id = self.model_id

        def encode_batch() -> None:
            began = time.perf_counter()
            codes = self.encoder.encode_pixels(np.stack([p.pixels for p in batch]))
            timing.encoding += time.perf_counter() - began
            timing.encoded += len(batch)
            for prepared, code in zip(batch, codes):
                row = rows.get(prepared.entry.path)
                if moves.displaced_row(row):
                    wait(_Waiting(prepared, row, {model_id: code.tobytes()}, replace=None,
                                  why=_why_read(row, prepared.entry, retry_failed)
                                  if debug else ""))
                    continue
                photo_id = writer.upsert_photo(prepared, folder_of(prepared.entry.path),
                                               STATUS_OK, None)
                # Same content (only this model's code was missing): keep other models' codes.
                # Judged when written, not from `rows`: another process may have added the
                # photo and its codes since.
                writer.set_codes(photo_id, {model_id: code.tobytes()}, replace=None)
                if row is not None:
                    report.updated += 1
                else:
                    report.added += 1
                if debug:
                    log.debug("%s %s (%s): encoded", "updated" if row else "added",
                              Shown(prepared.entry.path),
                              _why_read(row, prepared.entry, retry_failed))
            batch.clear()

        def wait(item: _Waiting) -> None:
            item.prepared.pixels = None  # decoded, or not needed: kept only until the end
            if item.codes is None:
                waiting.append(item)
                return
            waiting_new.append(item)
            if len(waiting_new) > COMMIT_ROWS:  # many photos edited in place: write the oldest
                self._overwrite(waiting_new.popleft(), moves, writer, folder_of, report)

        # One by one, nothing is known before reading (and `known` fills up meanwhile) but each
        # file's own record: one only renamed back, chmod-ed or touched is not decoded either.
        # Nor, either way, a photo forgotten a while ago and back (see _keep_codes).
        def skip_decoding(entry: FileEntry):
            return _Either(known if not one_by_one else _own_content(rows.get(entry.path)),
                           self._forgotten)

        results = ordered_map(lambda e: prepare(e, self.encoder.card.input, skip_decoding(e)),
                              work, self.decode_threads, window=self._window())
        try:
            for prepared in results:
                path = prepared.entry.path
                row = rows.get(path)
                timing.read_bytes += prepared.size
                moves.read(row, prepared)
                if prepared.gone:
                    removed = row is not None and root_present(path)
                    if removed:
                        writer.delete_photo(row.id)
                        report.removed += 1
                    elif row is not None:
                        lost_roots.add(self._root_of(path, folders))
                    if debug:
                        log.debug("removed %s: deleted while being indexed" if removed else
                                  "kept %s: gone while being indexed, with its folder (a "
                                  "drive unplugged?)" if row is not None else
                                  "skipped %s: deleted before it could be read", Shown(path))
                elif prepared.error:
                    if (not retry_failed and row is not None and row.status == STATUS_FAILED
                            and prepared.fingerprint is not None
                            and row.fingerprint == prepared.fingerprint):
                        # The content that failed before, only its times new (touched; a FAT
                        # drive's times moved by an hour, see docs/cli.md): unchanged, as when
                        # skipped. Its times are recorded, so it is not read again.
                        report.unchanged += 1
                        if debug:
                            log.debug("unchanged %s (%s): the content that failed before",
                                      Shown(path), _why_read(row, prepared.entry, retry_failed))
                    else:
                        report.failed += 1
                        report.errors.append((path, prepared.error))
                        if debug:
                            log.debug("failed %s (%s): %s", Shown(path),
                                      _why_read(row, prepared.entry, retry_failed),
                                      Shown(prepared.error))
                    if row is not None and row.status == STATUS_OK and (
                            row.fingerprint == prepared.fingerprint
                            or (prepared.fingerprint is None and row.size == prepared.entry.size
                                and row.mtime == prepared.entry.mtime)):
                        # Same content that read fine before (e.g. a one-off --model whose
                        # preprocessing fails), or an unchanged file that cannot be opened
                        # just now: keep the record and every model's codes.
                        pass
                    else:
                        if row is None and prepared.fingerprint is not None:
                            # The same unreadable file, moved here (e.g. its folder renamed):
                            # its old record goes, as a readable photo's record would move.
                            for old_id, old_path in self._failed_copies_gone(
                                    prepared.fingerprint):
                                writer.delete_photo(old_id, old_path)
                        writer.upsert_photo(prepared, folder_of(path), STATUS_FAILED,
                                            prepared.error)
                        writer.set_codes(None, {}, path=path)
                elif (prepared.fingerprint in self._forgotten
                      and not self._content_known(prepared, known)
                      and self._forgotten_codes(prepared.fingerprint)):
                    why = _why_read(row, prepared.entry, retry_failed) if debug else ""
                    codes = self._take_forgotten(prepared)
                    if moves.displaced_row(row):
                        wait(_Waiting(prepared, row, codes, why=why))
                    else:
                        writer.set_codes(writer.upsert_photo(prepared, folder_of(path),
                                                             STATUS_OK, None), codes)
                        _count_written(report, row)
                        if debug:
                            log.debug("%s %s (%s): the codes kept since it was removed a "
                                      "moment ago", "updated" if row else "added", Shown(path),
                                      why)
                elif prepared.known or (one_by_one and self._content_known(prepared, known)):
                    why = _why_read(row, prepared.entry, retry_failed) if debug else ""
                    if moves.displaced_row(row) or (
                            not _holds_content(row, prepared.fingerprint)
                            and moves.undecided(known.get(prepared.fingerprint, []))):
                        wait(_Waiting(prepared, row, None, why=why))
                    else:
                        self._reuse_codes(prepared, row, known, moves, writer, folder_of(path),
                                          report, why)
                else:
                    batch.append(prepared)
                    if len(batch) >= self.batch_size:
                        encode_batch()
                done += 1
                _tell(progress, done, total)
                writer.maybe_flush()
                if should_stop and should_stop() and done < total:
                    report.stopped = True
                    break
        finally:
            results.close()
        # Reached only without an exception: after an error nothing half-done is written (the
        # next run redoes it), and a failing flush is not retried on the way out.
        if batch:
            encode_batch()  # already decoded: cheaper to finish than to redo
        if waiting or waiting_new:
            writer.flush()  # the donors' codes are read as this run left them
            self._settle(waiting, waiting_new, moves, known, writer, folder_of, report)
        writer.flush()
        if writer.forgotten:
            report.errors.append((writer.forgotten[0], str(LookalikeError(
                None, f"{len(writer.forgotten)} photos were not saved: another Lookalike process "
                "removed their folder from the library (`lookalike forget`) while this one ran",
                "Index the folder again if you want it back"))))
        for root in sorted(lost_roots):
            report.errors.append((root, str(LookalikeError(
                root, "the folder disappeared while it was being indexed; its photos are kept",
                "Reconnect the drive or restore the folder, then index it again"))))
        if not report.stopped:
            gone = {**moves.vanished, **moves.parked}  # those no file of this run took
            if sweep is None:
                report.removed += self._sweep(gone, quiet=moves.parked)
            else:
                sweep.update(gone)  # the caller sweeps once every folder has been read
                if quiet is not None:
                    quiet.update(moves.parked)
        if log.isEnabledFor(level):
            seconds = time.perf_counter() - started
            log.log(level, "%s: %s, %d unchanged (not read); read %d (%.1f MB) in "
                    "%.2f s (%.1f photos/s, %.1f MB/s), %d of them decoded and encoded (%.2f s "
                    "in the encoder, %.1f photos/s); %d added, %d updated, %d moved, %d "
                    "failed, %d removed%s", Shown(what), count_of(len(entries), "photo file"),
                    len(entries) - total,
                    done, timing.read_bytes / 1e6, seconds, done / seconds if seconds else 0.0,
                    timing.read_bytes / 1e6 / seconds if seconds else 0.0, timing.encoded,
                    timing.encoding, timing.encoded / timing.encoding if timing.encoding else
                    0.0, report.added, report.updated, report.moved, report.failed,
                    report.removed, "; stopped early" if report.stopped else "")
        return report

    def _sweep(self, gone: dict[int, str], skipped: Collection[str] = (),
               quiet: Collection[int] = ()) -> int:
        """Delete records of files that are gone, and those of `skipped` (paths the walk
        skips) whether their files are there or not. A record that has moved meanwhile (another
        folder's run gave it a new path) or whose library folder is missing (an unplugged
        drive) is kept. The number deleted, but for those in `quiet` (see _settle)."""
        ids = list(gone)
        current: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            current.update((pid, decode_path(path)) for pid, path in self.store.query(
                f"SELECT id, path FROM photos WHERE id IN ({','.join('?' * len(chunk))})",
                chunk))
        present = self._root_checker()
        # stat_entry is None: nothing there, or no longer a file (a folder or other thing now
        # holds the name); a broken link or an unreadable file is still there and is kept.
        doomed = [pid for pid, path in gone.items()
                  if current.get(pid) == path and present(path)
                  and (path in skipped or stat_entry(path) is None)]
        if log.isEnabledFor(logging.DEBUG):
            for pid in doomed:
                log.debug("removed %s: %s", Shown(gone[pid]), "in a folder the walk skips"
                          if gone[pid] in skipped else "the record of a photo another file "
                          "was renamed over" if pid in quiet else "gone from the disk")
        return self.store.delete_photos(doomed) - sum(pid in quiet for pid in doomed)

    def _skipped(self, paths: Iterable[str]) -> set[str]:
        """The paths that the walk of the library folder holding them skips (scan.hidden_below):
        an earlier version indexed the thumbnails and previews there (a Photos library 3 to 5
        times a photo), which would stay in every search as long as their files. (A folder
        watched inside such a part is a library folder of its own: see add_folder.) Not in or
        under a hidden name: no version's walk went there, so its photos were indexed on
        purpose (`lookalike index ~/Pictures/.private`, which an earlier version made part of
        ~/Pictures; a hidden folder watched by name, merged into the folder around it). Judged
        once a folder: photos share folders, and a check took 5 µs a photo."""
        folders = self.folders()
        hidden: dict[str, tuple[bool, bool]] = {}  # folder -> (skipped, under a hidden name)
        found = set()
        for path in paths:
            head, name = os.path.split(path)
            if head not in hidden:
                root = self._root_of(path, folders)
                hidden[head] = (hidden_below(head, root), any(
                    part.startswith(".") for part in head[len(root):].split(os.sep)))
            skipped, dotted = hidden[head]
            if (skipped or left_out(name, head)) and not (dotted or name.startswith(".")):
                found.add(path)
        return found

    def _unreached(self, paths: Iterable[str], passed_by: Collection[str] = ()) -> set[str]:
        """The paths inside a folder link that the walk of their library folder does not follow
        (scan.not_walked: into that folder, or another library folder; back to a folder
        holding it), or in a folder it passed by (`passed_by`: ScanResult.passed_by, a second
        name of a folder it names by another, such as a second link to one folder): an
        earlier version followed them, or the watcher's change to a folder holding one, and
        named the photos there a second time (or by the link's name, its folder by its own
        name now). Their files are there (through the link), so only this sweeps them: once
        the photo has a record under another name (the same file), or when no library folder
        holds the folder a loop leads to. Not one the walk did not reach this time (a folder it
        could not open): it would be lost. Judged once a folder."""
        folders = self.folders()
        # folder -> (its real path, a loop or into a library folder?); None: walked
        heads: dict[str, tuple[str, bool] | None] = {}
        found = set()
        for path in paths:
            head, name = os.path.split(path)
            if head not in heads:
                root = self._root_of(path, folders)
                known = not_walked(head, root, [f.path for f in folders if f.path != root])
                heads[head] = ((os.path.realpath(head), known)
                               if known or any(is_under(head, p) for p in passed_by) else None)
            if heads[head] is None:
                continue
            real_head, known = heads[head]
            own = os.path.join(real_head, name)  # a photo that is a link keeps its name
            if (known and self._folder_for(own, folders) is None) or self._named_elsewhere(
                    path, own):
                found.add(path)
        return found

    def _named_elsewhere(self, path: str, own: str) -> bool:
        """Has the file at `path` a record under another name: its real path `own` (as the walk
        names a folder by its own name), or another path to the same file with its content?
        (`own` is `path` itself for a folder passed by that is no link: a Windows junction's
        folder, a bind mount.)"""
        if own != path and self.store.query("SELECT 1 FROM photos WHERE path = ?",
                                            (encode_path(own),)):
            return True
        try:
            st = os.stat(path)
        except OSError:
            return False
        for (other,) in self.store.query(
                "SELECT o.path FROM photos p JOIN photos o ON o.fingerprint = p.fingerprint "
                "AND o.id != p.id WHERE p.path = ?", (encode_path(path),)):
            try:
                there = os.stat(decode_path(other))
            except OSError:
                continue
            if (there.st_dev, there.st_ino) == (st.st_dev, st.st_ino):
                return True
        return False

    def _as_stored(self, path: str, folders: list[Folder]) -> str:
        """`path` in the form the library stores it: the watcher reports paths under the name
        a folder is watched by, which may be a link to the library folder (stored by its real
        path): the photos there were neither indexed (their records were made under the link's
        name, with no library folder, and dropped) nor removed. Only the folders above the
        last name are resolved: a photo or folder that is a link keeps its own name, as the
        walk records them; the watched link itself is its folder."""
        if self._folder_for(path, folders) is not None:
            return path
        head, name = os.path.split(path)
        for form in (os.path.join(os.path.realpath(head), name), os.path.realpath(path)):
            if self._folder_for(form, folders) is not None:
                return form
        return path

    def _root_of(self, path: str, folders: list[Folder] | None = None) -> str:
        """The library folder holding `path` (the deepest if nested), else its directory."""
        folder = self._folder_for(path, folders)
        return folder.path if folder is not None else os.path.dirname(path)

    def _root_checker(self, remember: bool = True):
        """path -> is its library folder still there, and the drive it was indexed on mounted?
        If not, its drive is unplugged or unmounted, or the folder was removed: nothing under it
        may be deleted on the strength of its absence. `remember=False` looks again every time
        (during a run the drive may go any moment)."""
        folders, seen = self.folders(), {}
        mount_points = self._mount_points()

        def there(folder: str, mount_point: bool) -> bool:
            if folder not in seen or not remember:
                # A mount point may be a link to it (see scan_folder): the drive is its target's.
                seen[folder] = (os.path.ismount(os.path.realpath(folder)) if mount_point
                                else os.path.isdir(folder))
            return seen[folder]

        def present(path: str) -> bool:
            return there(self._root_of(path, folders), False) and all(
                there(m, True) for m in mount_points if is_under(path, m))

        return present

    def _reuse_codes(self, prepared: Prepared, row: _Row | None, known: dict[str, list[int]],
                     moves: _Moves, writer: _Writer, folder_id: int, report: IndexReport,
                     why: str = "") -> None:
        """Content that already has codes: the same file touched (or only its change time is
        new: chmod, renamed back), a move/rename, or a copy. `why`: why it was read, for the
        debug log ("" when that is off)."""
        fp = prepared.fingerprint
        path = prepared.entry.path
        if _holds_content(row, fp):
            writer.upsert_photo(prepared, folder_id, STATUS_OK, None, keep_size=True)
            report.unchanged += 1
            if why:
                log.debug("unchanged %s (%s): the same content, its new times kept",
                          Shown(path), why)
            return
        donors = known.get(fp, [])
        moved_from = self._follower(donors, moves)
        donor = moved_from if moved_from is not None else (donors[0] if donors else None)
        codes = self._codes_holding(donor, fp)
        if not codes:  # the donor went away or changed meanwhile: decode it now instead
            codes = self._encode_now(prepared, writer, folder_id, report, why)
            if codes is None:
                return
            moved_from = donor = None
        if moved_from is not None:
            if why:
                old = moves.by_id[moved_from].path if moved_from in moves.by_id else (
                    self._paths_of([moved_from]).get(moved_from, "a photo gone from the disk"))
                log.debug("moved %s: from %s, its codes kept%s", Shown(path), Shown(old),
                          "" if row is None else f" ({why})")
            writer.move_photo(moved_from, prepared, folder_id, codes)
            moves.claim(moved_from)
            known[fp] = [d for d in donors if d != moved_from]
            report.moved += 1
        else:
            photo_id = writer.upsert_photo(prepared, folder_id, STATUS_OK, None)
            writer.set_codes(photo_id, codes)
            _count_written(report, row)
            if why:
                log.debug("%s %s (%s): %s", "updated" if row else "added", Shown(path), why,
                          "encoded" if donor is None
                          else "a copy of a photo in the library, its codes reused")

    def _follower(self, donors: list[int], moves: _Moves) -> int | None:
        """The record among `donors` (those with the content read) that moves to the file: one
        whose file is gone, or holds other content now (renamed away, its name taken: read this
        run, or a record outside it, see _left_its_content); None if each is still there (the
        file read is a copy). Each is taken once (`moves.claimed`)."""
        free = [d for d in donors if d not in moves.claimed]
        for d in free:
            if d in moves.vanished:
                return d
        for d in free:
            if d in moves.displaced:
                return d
        for d in free:
            # This run's own records are read (or unchanged) by now; a missing one is gone.
            if d in moves.by_id:
                if not self._donor_exists(d):
                    return d
            elif self._left_its_content(d, moves):
                return d
        return None

    def _left_its_content(self, photo_id: int, moves: _Moves) -> bool:
        """Is the file of a record this run does not read gone, or holding other content now
        (renamed away, another file renamed to its name, the watcher's event for that name not
        handled yet)? Its file is read again only when its size is its record's but its times
        are not. If so, where it was is told to `moves` (see _settle)."""
        found = self._rows("WHERE p.id = ?", (photo_id,))
        if not found:
            return True  # removed meanwhile: as a gone file (its codes are read next, and fail)
        (path, row), = found.items()
        if os.path.lexists(path):
            entry = stat_entry(path)
            if entry is None or entry.error or _why_read(row, entry, False) is None:
                return False  # unchanged, or nothing to tell: a copy is the safe guess
            if entry.size == row.size and _content_of(path)[0] in (row.fingerprint, None):
                return False
        moves.was_at[photo_id] = (path, row.folder_id)
        return True

    def _codes_holding(self, photo_id: int | None, fingerprint: str | None) -> dict[str, bytes]:
        """A record's codes, while it still holds this content: it may have been given other
        content since `known` was read (files that swapped names, a renumbered folder: this
        run's writes of it committed meanwhile, or another process's), and its codes with it."""
        if photo_id is None:
            return {}
        return dict(self.store.query(
            "SELECT c.model_id, c.code FROM codes c JOIN photos p ON p.id = c.photo_id "
            "WHERE c.photo_id = ? AND p.fingerprint = ?", (photo_id, fingerprint)))

    def _encode_now(self, prepared: Prepared, writer: _Writer, folder_id: int,
                    report: IndexReport, why: str = "") -> dict[str, bytes] | None:
        """Decode and encode a file whose content's codes went away meanwhile: its codes, or
        None when it failed (recorded so)."""
        self._decode_now(prepared)
        if prepared.error:
            writer.upsert_photo(prepared, folder_id, STATUS_FAILED, prepared.error)
            report.failed += 1
            report.errors.append((prepared.entry.path, prepared.error))
            if why:
                log.debug("failed %s (%s): %s", Shown(prepared.entry.path), why,
                          Shown(prepared.error))
            return None
        code = self.encoder.encode_pixels(prepared.pixels[None])[0].tobytes()
        prepared.pixels = None
        return {self.model_id: code}

    def _settle(self, waiting: list[_Waiting], waiting_new: Iterable[_Waiting],
                moves: _Moves, known: dict[str, list[int]], writer: _Writer,
                folder_of: Callable[[str], int], report: IndexReport) -> None:
        """Write the records of the files that waited (see _reconcile), every file of the run
        read. First which record follows which file (one gone, or displaced: its name holds
        other content now; each taken once), then those moves, all in one transaction (a name
        may be one move's destination and another's source: a chain of renames, a swap), then
        the rest: a copy's codes, or new content, in its name's record when no file took that,
        else in a new one. A displaced record that no file took is overwritten there. One
        whose name another record takes goes to the name that one left (_push_to) if its file
        is there (two names swapped across folders: a move too), or waits there for the sweep
        if that file is gone (a folder read later in the same run may hold its file); else it
        is dropped (a file renamed over it: not counted as removed, as before). Its codes are
        kept a while by content (_keep_codes)."""
        debug = log.isEnabledFor(logging.DEBUG)
        claims: list[tuple[_Waiting, int, dict[str, bytes]]] = []
        copies: list[_Waiting] = []
        for item in waiting:
            fp = item.prepared.fingerprint
            donors = known.get(fp, [])
            if moves.to_read(donors):
                continue  # stopped before a donor's file was read: read again next time
            donor = self._follower(donors, moves)
            codes = self._codes_holding(donor, fp)
            if codes:
                moves.claim(donor)
                claims.append((item, donor, codes))
            else:
                copies.append(item)
        # Those whose name another record takes: dropped (those of the rest: see _overwrite).
        self._keep_codes([item.row.id for item, _, _ in claims if moves.left_behind(item.row)])
        writer.take_off_names([donor for _, donor, _ in claims])
        for item, donor, _codes in claims:
            path = item.prepared.entry.path
            push = None
            if moves.left_behind(item.row) and donor in moves.left:
                push = self._push_to(item.row, *moves.left[donor])
                if push is not None and push.entry is None:
                    moves.parked[item.row.id] = push.path
                elif push is not None:  # its file is there: a move too
                    report.moved += 1
            writer.move_photo(donor, item.prepared, folder_of(path), _codes, push=push)
            report.moved += 1
            if debug:
                old = self._paths_of([donor]).get(donor, "a photo gone from the disk")
                log.debug("moved %s: from %s, its codes kept (%s)", Shown(path), Shown(old),
                          item.why)
        for item in (*copies, *waiting_new):
            self._overwrite(item, moves, writer, folder_of, report, known)

    def _push_to(self, row: _Row, path: str, folder_id: int) -> _Push | None:
        """Where a record whose name another record takes goes: the name that one left, if
        its file is gone (it waits there for the sweep: a folder read later may hold its
        file), or holds this record's content (two names swapped across folders, or with a
        name outside the run). None: dropped; also where that name's folder or drive is
        missing (unplugged): no sweep takes a record there, and it stayed in the library as a
        photo on that drive with the picture of one another file was moved over."""
        if not os.path.lexists(path):
            present = self._root_checker(remember=False)
            return _Push(row.id, path, folder_id) if present(path) else None
        entry = stat_entry(path)
        if entry is None or entry.error or entry.size != row.size:
            return None
        fingerprint, read_at = _content_of(path)
        return (_Push(row.id, path, folder_id, entry, read_at)
                if fingerprint == row.fingerprint else None)

    def _overwrite(self, item: _Waiting, moves: _Moves, writer: _Writer,
                   folder_of: Callable[[str], int], report: IndexReport,
                   known: dict[str, list[int]] | None = None) -> None:
        """Write a waiting file's codes (those of a copy: found in `known`) in its name's
        record, unless a moving record took that (then in a new record). That record's codes
        are kept a while by content, should a folder read later hold its file."""
        prepared, path = item.prepared, item.prepared.entry.path
        if moves.left_behind(item.row):
            self._keep_codes([item.row.id])
            del moves.displaced[item.row.id]  # no file takes it now
        row = None if item.row is None or item.row.id in moves.claimed else item.row
        codes, replace, how = item.codes, item.replace, "new content"
        folder_id = folder_of(path)
        if codes is None:
            donors = (known or {}).get(prepared.fingerprint, [])
            codes = self._codes_holding(donors[0] if donors else None, prepared.fingerprint)
            how = "a copy of a photo in the library, its codes reused"
            if not codes:
                codes = self._encode_now(prepared, writer, folder_id, report, item.why)
                if codes is None:
                    return
                how, replace = "encoded", True
        writer.set_codes(writer.upsert_photo(prepared, folder_id, STATUS_OK, None), codes,
                         replace=replace)
        _count_written(report, row)
        if item.why:
            log.debug("%s %s (%s): %s", "updated" if row else "added", Shown(path), item.why,
                      how)

    def _take_forgotten(self, prepared: Prepared) -> dict[str, bytes]:
        """A photo forgotten while the app ran is back (the trash's undo, moved back in): the
        codes kept of it (see _forgotten_codes), no longer kept."""
        codes, width, height = self._forgotten.pop(prepared.fingerprint)
        if prepared.width is None:
            prepared.width, prepared.height = width, height
        return codes

    def _failed_copies_gone(self, fingerprint: str) -> list[tuple[int, str | bytes]]:
        """Records (id, path as stored) of photos that failed with this content and whose file
        is gone. Read from what is committed: a record deleted by a write not flushed yet is
        found again, its id perhaps given to a new record meanwhile (hence the path)."""
        return [(pid, path) for pid, path in self.store.query(
            "SELECT id, path FROM photos WHERE fingerprint = ? AND status = ?",
            (fingerprint, STATUS_FAILED)) if stat_entry(decode_path(path)) is None]

    def _donor_exists(self, photo_id: int) -> bool:
        found = self.store.query("SELECT path FROM photos WHERE id = ?", (photo_id,))
        return bool(found) and os.path.lexists(decode_path(found[0][0]))

    def _decode_now(self, prepared: Prepared) -> None:
        try:
            loaded = images.load_photo(prepared.entry.path,
                                       min_size=draft_target(self.encoder.card.input))
            prepared.pixels = preprocess(loaded.image, self.encoder.card.input)
            prepared.width, prepared.height = loaded.width, loaded.height
        except PhotoReadError as exc:
            prepared.error = str(exc)

    # -- reading --------------------------------------------------------------------------
    def photos(self) -> list[Photo]:
        return [_photo(r) for r in self.store.photo_rows("ORDER BY path")]

    def failed(self) -> list[Photo]:
        return [_photo(r) for r in self.store.photo_rows("WHERE status = ? ORDER BY path",
                                                         (STATUS_FAILED,))]

    def photo(self, photo_id: int) -> Photo | None:
        rows = self.store.photo_rows("WHERE id = ?", (int(photo_id),))
        return _photo(rows[0]) if rows else None

    def photo_by_path(self, path: str | os.PathLike) -> Photo | None:
        for candidate in {os.path.abspath(os.fspath(path)), os.path.realpath(os.fspath(path))}:
            rows = self.store.photo_rows("WHERE path = ?", (encode_path(candidate),))
            if rows:
                return _photo(rows[0])
        return None

    def counts(self) -> dict[str, int]:
        (photos, failed), = self.store.query(
            "SELECT COUNT(*), COALESCE(SUM(status = 'failed'), 0) FROM photos")
        coded = self.store.query("SELECT COUNT(*) FROM codes WHERE model_id = ?",
                                 (self.model_id,))[0][0]
        return {"folders": len(self.folders()), "photos": photos, "indexed": coded,
                "failed": failed}

    # -- search ---------------------------------------------------------------------------
    def search_index(self) -> HammingIndex:
        """The current model's codes as an immutable snapshot, rebuilt only after changes (ours
        or another connection's)."""
        # The connection too: both counts are its own, and start again with a new one (the
        # library file put back after a disk cleaner deleted it: Store._put_back).
        key = (self.model_id, self.store.conn, self.store.query("PRAGMA data_version")[0][0],
               self.store.conn.total_changes)
        if self._index is None or key != self._index_key:
            started = time.perf_counter()
            ids, blob = self.store.codes_for_model(self.model_id)
            codes = np.frombuffer(blob, dtype=np.uint8).reshape(len(ids), (self.bits + 7) // 8)
            self._index = HammingIndex(ids, codes, self.bits)
            self._index_key = key
            # Debug: the app reads it again after another process's writes (a `lookalike
            # index` beside it), and its log file takes INFO.
            if log.isEnabledFor(logging.DEBUG):
                log.debug("search index: %s of %s (%d bits) read in %.3f s",
                          count_of(len(ids), "code"), Shown(self.encoder.card.name), self.bits,
                          time.perf_counter() - started)
        return self._index

    def similar(self, photo_id: int, k: int | None = 20, max_distance: int | None = None, *,
                one_per_picture: bool = False) -> list[Match]:
        """Photos most like this one (itself excluded); [] if it has no code (failed).
        `one_per_picture`: as the app shows them, a camera's RAW+JPEG pair once (the JPEG, its
        raw named in `twins`), this photo's own twins left out, `k` pictures (raw_twins.
        closest_pictures); else every file, a raw beside its JPEG."""
        index = self.search_index()
        code = index.code_of(int(photo_id))
        if code is None:
            return []
        exclude = (int(photo_id),)
        started = time.perf_counter()
        if one_per_picture:
            own_path = self._paths_of(exclude).get(int(photo_id), "")
            found = self._pictures(index, code, k, max_distance, exclude, own_path)
        else:
            own_path = f"photo {photo_id}"
            hits = index.search(code, k=k, max_distance=max_distance, exclude=exclude)
            found = self._matches([(h.photo_id, h.distance) for h in hits])
        _log_search(own_path, index, found, started)
        return found

    def encode_file(self, path: str | os.PathLike) -> np.ndarray:
        """Packed code of any photo file (not stored). Raises PhotoReadError."""
        loaded = images.load_photo(path, min_size=draft_target(self.encoder.card.input))
        pixels = preprocess(loaded.image, self.encoder.card.input)
        return self.encoder.encode_pixels(pixels[None])[0]

    def similar_to_file(self, path: str | os.PathLike, k: int | None = 20,
                        max_distance: int | None = None, *,
                        one_per_picture: bool = False) -> list[Match]:
        """Photos most like a file inside or outside the library; the file is encoded on the
        fly and not stored (if it is itself in the library, it is left out of the answer).
        `one_per_picture` as for similar: the file's own twins are those beside it."""
        started = time.perf_counter()
        code = self.encode_file(path)
        log.info("%s: read and encoded in %.3f s (not stored)", Shown(path),
                 time.perf_counter() - started)
        own = self.photo_by_path(path)
        exclude = (own.id,) if own else ()
        index = self.search_index()
        started = time.perf_counter()
        if one_per_picture:
            own_path = own.path if own else os.path.abspath(os.fspath(path))
            found = self._pictures(index, code, k, max_distance, exclude, own_path)
        else:
            hits = index.search(code, k=k, max_distance=max_distance, exclude=exclude)
            found = self._matches([(h.photo_id, h.distance) for h in hits])
        _log_search(os.fspath(path), index, found, started)
        return found

    def _pictures(self, index: HammingIndex, code: np.ndarray, k: int | None,
                  max_distance: int | None, exclude: tuple[int, ...],
                  query_path: str) -> list[Match]:
        pictures, _ = raw_twins.closest_pictures(index, code, self._paths_of, k, max_distance,
                                                 exclude, query_path)
        return pictures.results()

    def duplicates(self, max_distance: int | None = None, *,
                   one_per_picture: bool = False) -> list[list[Match]]:
        """Groups of near-identical photos (each within max_distance of another in the group;
        default: duplicates.default_duplicate_distance(bits), one bit in eight).
        In each group the first photo is the lowest id; distances are to that first photo.
        Groups are ordered largest first. `one_per_picture`: as the app's Duplicates tab
        lists them, a camera's RAW+JPEG pair once, as its raw (its JPEG named in `twins`), so a
        pair alone is no group (raw_twins.duplicate_pictures)."""
        index = self.search_index()
        started = time.perf_counter()
        groups = ((self._matches([(h.photo_id, h.distance) for h in hits]), hits[0].photo_id)
                  for hits in duplicate_groups(index, max_distance))
        found = (raw_twins.duplicate_pictures(groups, index) if one_per_picture
                 else [group for group, _ in groups])
        if log.isEnabledFor(logging.INFO):
            log.info("duplicates: %s compared within %s bits in %.3f s: %s of %s",
                     count_of(len(index), "code"), max_distance if max_distance is not None
                     else default_duplicate_distance(self.bits), time.perf_counter() - started,
                     count_of(len(found), "group"),
                     count_of(sum(len(g) for g in found), "photo"))
        return found

    def shared_contents(self) -> dict[int, tuple[str, tuple[int, float, int | None]]]:
        """photo id -> (content fingerprint, (size, mtime, change time) when read) of each photo
        whose bytes another photo has too: keeper.keeper_first reads one header for all copies."""
        rows = self.store.query(
            f"SELECT id, fingerprint, size, mtime, {self.store.ctime_column} FROM photos "
            "WHERE fingerprint IN (SELECT fingerprint FROM photos WHERE fingerprint IS NOT NULL "
            "GROUP BY fingerprint HAVING COUNT(*) > 1)")
        return {photo_id: (fp, (size, mtime, ctime)) for photo_id, fp, size, mtime, ctime in rows}

    def _matches(self, hits: list[tuple[int, int]]) -> list[Match]:
        found = self._paths_of([h[0] for h in hits])
        return [Match(pid, found[pid], dist, self.bits) for pid, dist in hits if pid in found]

    def _paths_of(self, ids: list[int] | tuple[int, ...]) -> dict[int, str]:
        """photo id -> path of each of `ids` still in the library."""
        found: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for photo_id, path in self.store.query(
                    f"SELECT id, path FROM photos WHERE id IN ({marks})", chunk):
                found[photo_id] = decode_path(path)
        return found


def _log_activation_round(encoder: Encoder, lacking: int, report: IndexReport, encoded: int,
                          started: float) -> None:
    """-v: what one round of activate_model encoded, and how fast."""
    if not log.isEnabledFor(logging.INFO):
        return
    seconds = time.perf_counter() - started
    log.info("%s: encoded %d of %s without its codes in %.2f s (%.1f photos/s); %d had them "
             "already, %d failed in all%s", Shown(encoder.card.name), encoded,
             count_of(lacking, "photo"), seconds, encoded / seconds if seconds else 0.0,
             report.unchanged, report.failed, "; stopped early" if report.stopped else "")


def _log_search(query: str, index: HammingIndex, found: list[Match], started: float) -> None:
    """-v: how big and how long a search was; -vv: the distances it found."""
    if not log.isEnabledFor(logging.INFO):
        return
    log.info("%s: searched %s in %.1f ms: %s", Shown(query), count_of(len(index), "code"),
             (time.perf_counter() - started) * 1000, count_of(len(found), "match", "matches"))
    if found and log.isEnabledFor(logging.DEBUG):
        distances = [m.distance for m in found]
        log.debug("%s: distances %d to %d (of %d bits)", Shown(query), min(distances),
                  max(distances), found[0].bits)


def library_folders(store: Store) -> list[Folder]:
    """The library's folders (PhotoLibrary.folders, for a caller with no model loaded)."""
    return [Folder(*row) for row in store.folder_rows()]


def forget_folder(store: Store, path: str | os.PathLike,
                  keep: Iterable[str | os.PathLike] = ()) -> int:
    """Forget a library folder and its photos (the files are untouched). Returns photos
    removed (0: not a library folder). `keep`: folders inside it that stay (the app's watched
    folders that add_folder merged into it): each becomes a library folder again, its photos
    keep their ids and codes. Needs no model: a folder is removed also while none can be
    loaded (the app's no-model banner)."""
    wanted = normalise_folder(path)
    for folder in library_folders(store):
        if folder.path in (wanted, os.fspath(path)):
            kept: list[str] = []
            for inner in sorted({normalise_folder(k) for k in keep}, key=len):
                if (inner != folder.path and is_under(inner, folder.path)
                        and not any(is_under(inner, k) for k in kept)):
                    kept.append(inner)
            with store.transaction() as conn:  # all or nothing
                for inner in kept:
                    inner_id = store.insert_folder(inner)
                    where, params = _at_or_under(inner)
                    conn.executemany("UPDATE photos SET folder_id = ? WHERE id = ?", [
                        (inner_id, photo_id) for photo_id, raw, folder_id in store.query(
                            f"SELECT p.id, p.path, p.folder_id FROM photos p {where}", params)
                        if folder_id == folder.id and is_under(decode_path(raw), inner)])
                return store.delete_folder(folder.id)
    return 0


def _at_or_under(path: str) -> tuple[str, tuple]:
    """The WHERE clause, and its parameters, of the photos at `path` or under it, and of some
    others (filter them with is_under)."""
    prefix = path.rstrip(os.sep) + os.sep
    low, high = prefix, prefix[:-1] + chr(ord(os.sep) + 1)
    if isinstance(encode_path(prefix), bytes):
        # A folder whose name is not UTF-8: SQLite cannot take it as text, and every path
        # under it is stored as bytes, which the blob clause finds.
        low = high = ""
    # The blob clause: paths that are not UTF-8 (stored as bytes, which sort after all
    # text). As a range it is looked up in the index, as the others: typeof() read the
    # whole table, 43 ms a deleted photo at 200,000 (bench/results/library-scale.md).
    return ("WHERE p.path = ? OR (p.path >= ? AND p.path < ?) OR p.path >= X''",
            (encode_path(path), low, high))


def record_crashes(store: Store, crashes: Iterable[Crash]) -> tuple[list[tuple[str, str]],
                                                                   list[Crash]]:
    """Record each photo a dead Lookalike was decoding when its decoder crashed it
    (crash_journal.left_by_crashes) as failed, saying so, with the file's size, times and
    content as they are now: no index run reads it again until it changes (its failed record
    is "done", see _why_read), and its codes go, so neither the grid nor a search shows it (a
    thumbnail or preview crashed on it too). Trying failed photos again reads it.
    A photo blamed only because its process died with no report of a fatal error (killed: see
    crash_journal) that another process has read and encoded since, as it is now, is not
    recorded (_read_since_crash): that process ran on (the app, while a `lookalike index` was
    killed), and the photo it shows must not go.
    Returns ((path, message) of each recorded, the crashes not recorded: their file in no
    library folder, a photo searched with, or their cut path not in the library). A file no
    longer there is only logged: it cannot stop Lookalike again."""
    folders = [Folder(*row) for row in store.folder_rows()]
    now = time.time()
    writes, unrecorded = [], []
    for crash in crashes:
        path = crash.path if not crash.cut else next(
            (p for (raw,) in store.query("SELECT path FROM photos")
             if crash.is_path(p := decode_path(raw))), None)
        row = store.query(
            f"SELECT folder_id, size, mtime, {store.ctime_column}, fingerprint, status, "
            "indexed_at, EXISTS (SELECT 1 FROM codes c WHERE c.photo_id = photos.id) "
            "FROM photos WHERE path = ?", (encode_path(path),)) if path else []
        holder = max((f for f in folders if is_under(path, f.path)),
                     key=lambda f: len(f.path), default=None) if path else None
        folder_id = row[0][0] if row else holder.id if holder else None
        if folder_id is None:
            unrecorded.append(crash)
            continue
        entry = stat_entry(path)
        if entry is None or entry.error:
            log.info("%s was being decoded when Lookalike stopped; it is gone now", path)
            continue
        if row and _read_since_crash(crash, row[0], entry, now):
            log.info("%s was being decoded when a Lookalike was ended by force (or its decoder "
                     "crashed in a thread that cannot be told), but another Lookalike has read "
                     "and encoded it since: it is not left out", path)
            continue
        if row and same_content_stamps(row[0][1:4], (entry.size, entry.mtime, entry.ctime_ns)):
            fingerprint = row[0][4]
        else:
            try:
                fingerprint = images.fingerprint(path)  # read, never decoded
            except OSError:  # cannot be read now: nor can the indexer, which decodes nothing
                fingerprint = None
        writes.append((path, folder_id, entry, fingerprint, crash.error(path)))
    recorded: list[tuple[str, str]] = []
    if not writes:
        return recorded, unrecorded
    with store.transaction() as conn:
        for path, folder_id, entry, fingerprint, error in writes:
            if not _folder_exists(conn, folder_id):  # forgotten meanwhile by another process
                continue
            (photo_id,) = conn.execute(
                "INSERT INTO photos(path, folder_id, size, mtime, ctime_ns, fingerprint, status, "
                "error, indexed_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET "
                "size = excluded.size, mtime = excluded.mtime, ctime_ns = excluded.ctime_ns, "
                "fingerprint = excluded.fingerprint, status = excluded.status, "
                "error = excluded.error, indexed_at = excluded.indexed_at RETURNING id",
                (encode_path(path), folder_id, entry.size, entry.mtime, entry.ctime_ns,
                 fingerprint, STATUS_FAILED, error, now)).fetchone()
            conn.execute("DELETE FROM codes WHERE photo_id = ?", (photo_id,))
            recorded.append((path, error))
            log.info("%s", error)
    return recorded, unrecorded


def _read_since_crash(crash: Crash, row: tuple, entry: FileEntry, now: float) -> bool:
    """Was the photo of `crash` read and encoded by another process after its decode began
    there, and left as it is now? `row`: its record's folder_id, size, mtime, change time,
    fingerprint, status, indexed_at (when its file began to be read) and whether it has codes.
    Never for a crash a report of the fatal error blames (by_report): that decoder did crash
    on it, and the later read may have decoded it otherwise (the index a reduced draft, a
    thumbnail or preview another size). Nor for a read stamped after `now`: made while the
    clock ran ahead (set back since: a clock read as local time at boot, then corrected), it
    says nothing of the crash's order, and would spare the photo at every start until the
    clock caught up, each start crashing on it again."""
    _folder_id, size, mtime, ctime_ns, _fingerprint, status, indexed_at, has_codes = row
    return (not crash.by_report and status == STATUS_OK and bool(has_codes)
            and indexed_at is not None and crash.when < indexed_at <= now
            and same_content_stamps((size, mtime, ctime_ns),
                                    (entry.size, entry.mtime, entry.ctime_ns)))


class _Either:
    """`fingerprint in` either of two collections (what prepare() may skip decoding)."""

    def __init__(self, first, second) -> None:
        self.first, self.second = first, second

    def __contains__(self, item: object) -> bool:
        return item in self.first or item in self.second


class _Moves:
    """Which records may follow their file to another name in one run: those of files gone
    (`vanished`: id -> path, swept at the end unless a file takes one) and those whose name
    now holds other content (`displaced`: read this run), each taken once (`claimed`)."""

    def __init__(self, vanished: dict[int, str], rows: dict[str, _Row],
                 unread: set[str]) -> None:
        self.vanished = vanished
        self.by_id = {r.id: r for r in rows.values()}  # the run's records
        self.unread = unread  # the paths of the run still to read
        self.displaced: dict[int, _Row] = {}
        self.claimed: set[int] = set()
        # Taken and gone from their names: id -> (that name, its folder's id) (see _settle).
        self.left: dict[int, tuple[str, int]] = {}
        self.was_at: dict[int, tuple[str, int]] = {}  # the same, of records outside the run
        # Records dropped from a name another record took, waiting for the sweep under the
        # name that one left (its file gone): id -> that name (see PhotoLibrary._settle).
        self.parked: dict[int, str] = {}

    def read(self, row: _Row | None, prepared: Prepared) -> None:
        self.unread.discard(prepared.entry.path)
        if (row is not None and row.status == STATUS_OK and row.has_code and row.fingerprint
                and not prepared.error and not prepared.gone
                and prepared.fingerprint != row.fingerprint):
            self.displaced[row.id] = row

    def displaced_row(self, row: _Row | None) -> bool:
        """Is `row` a record whose file is elsewhere, or replaced: is it free to follow it?"""
        return row is not None and row.id in self.displaced

    def left_behind(self, row: _Row | None) -> bool:
        """A displaced record that no file took (so far)."""
        return self.displaced_row(row) and row.id not in self.claimed

    def undecided(self, donors: list[int]) -> bool:
        """Must a file with this content (these records have it) wait: may a record that has
        it follow it, once the run has read every file? Not when one of them is gone: it is
        the one that moves."""
        free = [d for d in donors if d not in self.claimed]
        return not any(d in self.vanished for d in free) and any(
            d in self.displaced or self.to_read([d]) for d in free)

    def to_read(self, donors: list[int]) -> bool:
        """Is the file of one of these records still to be read in this run?"""
        return any(d in self.by_id and self.by_id[d].path in self.unread for d in donors)

    def claim(self, photo_id: int) -> None:
        self.claimed.add(photo_id)
        if photo_id in self.vanished:
            self.left[photo_id] = (self.vanished.pop(photo_id), self.by_id[photo_id].folder_id)
        elif photo_id in self.was_at:
            self.left[photo_id] = self.was_at[photo_id]


@dataclass
class _Waiting:
    """A file read whose record is written at the end of the run (see PhotoLibrary._settle)."""

    prepared: Prepared  # without its pixels
    row: _Row | None  # its name's record when the run began
    codes: dict[str, bytes] | None  # of its new content; None: content the library has
    replace: bool | None = True  # set_codes' `replace`
    why: str = ""  # why it was read (the debug log; "" when that is off)


@dataclass
class _Push:
    """Where a record goes whose name another record takes (see PhotoLibrary._push_to)."""

    photo_id: int
    path: str
    folder_id: int
    entry: FileEntry | None = None  # its file there, read and holding its content
    read_at: float = 0.0


def _content_of(path: str) -> tuple[str | None, float]:
    """The fingerprint of a file (None if it cannot be read), and when it was read."""
    read_at = time.time()
    try:
        return images.fingerprint_bytes(images.read_bytes(path)), read_at
    except PhotoReadError:
        return None, read_at


def _holds_content(row: _Row | None, fingerprint: str | None) -> bool:
    """Has the record this content, and its code (the file only touched, chmod-ed...)?"""
    return row is not None and row.fingerprint == fingerprint and row.has_code


def _count_written(report: IndexReport, row: _Row | None) -> None:
    if row is not None:
        report.updated += 1
    else:
        report.added += 1


class _Coverage:
    """Several folder scans and deleted paths together: may a record at `path` be swept?"""

    def __init__(self, scans: list[ScanResult], gone: list[str]) -> None:
        self.scans = scans
        self.gone = gone  # paths that no longer exist: everything under them is gone

    def covers(self, path: str) -> bool:
        if any(is_under(path, g) for g in self.gone):
            return not os.path.lexists(path)
        return any(is_under(path, s.root) and s.covers(path) for s in self.scans)


def _photo(row: tuple) -> Photo:
    return Photo(*row[:-1])  # all but the fingerprint (Store.photo_columns)


def _why_read(row: _Row | None, entry: FileEntry, retry_failed: bool) -> str | None:
    """Why the file must be read, not skipped (for the debug log): the first way it differs
    from its record. None: it may be skipped, having the same size, mtime and change time
    (where both are known) as its record, and the record is done: it has a code, or the file
    failed on content it read. A skipped file (a re-index's hot path) builds no string."""
    if row is None:
        return "new"
    if row.size != entry.size:
        changed = f"size changed from {row.size} to {entry.size} bytes"
    elif row.mtime != entry.mtime:
        changed = "modification time changed"
    elif None not in (row.ctime_ns, entry.ctime_ns) and row.ctime_ns != entry.ctime_ns:
        # Rewritten in place, or only chmod-ed or renamed back: its content says.
        changed = "change time changed (rewritten in place, chmod-ed or renamed)"
    elif float(row.mtime).is_integer() and abs(row.indexed_at - row.mtime) < RACY_S:
        # Whole-second times, read as it was written: a rewrite may not show.
        changed = "whole-second times too close to when it was last read to trust"
    # A failed photo whose bytes were never read (no fingerprint: permission denied, an
    # I/O error) is tried again: giving access back changes neither size nor mtime.
    elif row.has_code or (row.status == STATUS_FAILED and not retry_failed
                          and row.fingerprint is not None):
        return None
    else:
        changed = None
    failed = row.status == STATUS_FAILED
    if row.size == -1 or (retry_failed and failed):  # retry_failed_reads
        return "failed before, tried again"
    if changed is not None:
        return changed
    return "failed before without its content read" if failed else "no code from this model yet"


@dataclass
class _Timing:
    """What an index run's log summary says of reading and encoding."""

    read_bytes: int = 0
    encoded: int = 0
    encoding: float = 0.0  # seconds in the encoder (decoding overlaps it, on other threads)


def _own_content(row: _Row | None) -> tuple[str, ...]:
    """The content a file's record has a code for (reading it again, none is needed)."""
    return (row.fingerprint,) if row is not None and row.has_code and row.fingerprint else ()


def _tell(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


class _Writer:
    """Buffers the writes of an index run and commits them in transactions of many rows."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ops: list = []
        self.last_flush = time.monotonic()
        self.forgotten: list[str] = []  # photos not written: their folder was forgotten

    def add(self, sql: str, params: tuple) -> None:
        self.ops.append((sql, params))

    def maybe_flush(self) -> None:
        if len(self.ops) >= COMMIT_ROWS or time.monotonic() - self.last_flush > COMMIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.ops:
            with self.store.transaction() as conn:
                for op in self.ops:
                    if callable(op):
                        op(conn)
                    elif isinstance(op[1], list):
                        conn.executemany(*op)
                    else:
                        conn.execute(*op)
            self.ops.clear()
        self.last_flush = time.monotonic()

    # Photo ids come from the database inside the transaction, so operations are closures.
    def upsert_photo(self, prepared: Prepared, folder_id: int, status: str, error: str | None,
                     keep_size: bool = False) -> _PendingId:
        entry = prepared.entry
        size = entry.size if keep_size or not prepared.size else prepared.size
        pending = _PendingId(entry.path)
        params = (encode_path(entry.path), folder_id, size, entry.mtime, entry.ctime_ns,
                  prepared.fingerprint, status, printable(error) if error else None,
                  prepared.width, prepared.height, prepared.read_at)

        def op(conn) -> None:
            if not _folder_exists(conn, folder_id):
                self.forgotten.append(entry.path)
                return
            before = conn.execute("SELECT fingerprint FROM photos WHERE path = ?",
                                  (params[0],)).fetchone()
            pending.same_content = before is not None and before[0] == prepared.fingerprint
            # On conflict keep width/height when this write has none (a touched file).
            pending.value = conn.execute(
                "INSERT INTO photos(path, folder_id, size, mtime, ctime_ns, fingerprint, status, "
                "error, width, height, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(path) DO UPDATE SET folder_id = excluded.folder_id, "
                "size = excluded.size, mtime = excluded.mtime, ctime_ns = excluded.ctime_ns, "
                "fingerprint = excluded.fingerprint, status = excluded.status, "
                "error = excluded.error, width = COALESCE(excluded.width, width), "
                "height = COALESCE(excluded.height, height), indexed_at = excluded.indexed_at "
                "RETURNING id", params).fetchone()[0]

        self.ops.append(op)
        return pending

    def set_codes(self, photo_id: _PendingId | None, codes: dict[str, bytes],
                  path: str | None = None, replace: bool | None = True) -> None:
        """Store codes of a photo. `replace` drops its other codes first: when its content
        changed, codes from other models describe the old picture. `replace=None`: only if the
        record held other content just before `photo_id`'s upsert (decided when written: another
        process may have added the record, with its codes, since this run read the table)."""

        def op(conn) -> None:
            found = (photo_id.value,) if photo_id is not None else conn.execute(
                "SELECT id FROM photos WHERE path = ?", (encode_path(path),)).fetchone()
            pid = found[0] if found else None
            if pid is None:  # not written: its folder was forgotten meanwhile
                return
            if replace or (replace is None and not getattr(photo_id, "same_content", False)):
                conn.execute("DELETE FROM codes WHERE photo_id = ?", (pid,))
            conn.executemany("INSERT OR REPLACE INTO codes(photo_id, model_id, code) "
                             "VALUES (?, ?, ?)", [(pid, m, c) for m, c in codes.items()])

        self.ops.append(op)

    def take_off_names(self, photo_ids: list[int]) -> None:
        """Take these records off their names for the moves that follow: a name may be one
        move's destination and another's source (a chain of renames, a swap). The moves must be
        written in the same transaction (one flush: a name that is no path, never committed)."""
        if photo_ids:
            self.ops.append(("UPDATE photos SET path = ? WHERE id = ?",
                             [(_parked_path(pid), pid) for pid in photo_ids]))

    def move_photo(self, photo_id: int, prepared: Prepared, folder_id: int,
                   codes: dict[str, bytes], push: _Push | None = None) -> None:
        """Give an existing record (and its codes) the new path: the photo keeps its id. The
        record that held the path is dropped, or moved where `push` says."""
        entry = prepared.entry

        def op(conn) -> None:
            if not _folder_exists(conn, folder_id):
                self.forgotten.append(entry.path)
                # Taken off its name (take_off_names): its file is in the forgotten folder now.
                conn.execute("DELETE FROM photos WHERE id = ? AND path = ?",
                             (photo_id, _parked_path(photo_id)))
                return
            new_path = encode_path(entry.path)
            if push is not None and _folder_exists(conn, push.folder_id):
                conn.execute("UPDATE OR IGNORE photos SET path = ?, folder_id = ? "
                             "WHERE id = ? AND path = ?",
                             (encode_path(push.path), push.folder_id, push.photo_id, new_path))
                if push.entry is not None:  # its file, read now: no need to read it again
                    conn.execute("UPDATE photos SET size = ?, mtime = ?, ctime_ns = ?, "
                                 "indexed_at = ? WHERE id = ? AND path = ?",
                                 (push.entry.size, push.entry.mtime, push.entry.ctime_ns,
                                  push.read_at, push.photo_id, encode_path(push.path)))
            conn.execute("DELETE FROM photos WHERE path = ? AND id != ?", (new_path, photo_id))
            moved = conn.execute(
                "UPDATE photos SET path = ?, folder_id = ?, size = ?, mtime = ?, ctime_ns = ?, "
                "indexed_at = ? WHERE id = ?",
                (new_path, folder_id, prepared.size, entry.mtime, entry.ctime_ns,
                 prepared.read_at, photo_id)).rowcount
            if not moved:  # another process removed it meanwhile: make a new record
                pid = conn.execute(
                    "INSERT INTO photos(path, folder_id, size, mtime, ctime_ns, fingerprint, "
                    "status, indexed_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
                    (new_path, folder_id, prepared.size, entry.mtime, entry.ctime_ns,
                     prepared.fingerprint, STATUS_OK, prepared.read_at)).fetchone()[0]
                conn.executemany("INSERT INTO codes VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                 [(pid, m, c) for m, c in codes.items()])

        self.ops.append(op)

    def delete_photo(self, photo_id: int, path: str | bytes | None = None) -> None:
        """`path` (as stored): only if the id is still that path's (SQLite gives the id of a
        deleted last row to the next new one)."""
        if path is None:
            self.ops.append(("DELETE FROM photos WHERE id = ?", (photo_id,)))
        else:
            self.ops.append(("DELETE FROM photos WHERE id = ? AND path = ?", (photo_id, path)))

    def note_change_time(self, photo_id: int, ctime_ns: int) -> None:
        """Keep the change time of an unchanged photo whose record has none yet (unless another
        process wrote one meanwhile: that one is newer)."""
        self.ops.append(("UPDATE photos SET ctime_ns = ? WHERE id = ? AND ctime_ns IS NULL",
                         (ctime_ns, photo_id)))


class _PendingId:
    """A photo id that exists once the write that creates it has run."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.value: int | None = None  # stays None if not written (its folder was forgotten)
        self.same_content = False  # the record held this content before (see set_codes)


def _parked_path(photo_id: int) -> bytes:
    """A name no file has (no path holds a NUL), unique to the record (take_off_names)."""
    return b"\0moving %d" % photo_id


def _folder_exists(conn, folder_id: int) -> bool:
    """Is the library folder still there? `forget` in another process may have removed it
    since this run started: its photos are then not written (a foreign key would fail)."""
    return conn.execute("SELECT 1 FROM folders WHERE id = ?", (folder_id,)).fetchone() is not None


def _dangling_links_holding(scan: ScanResult, rows: dict[str, _Row]) -> list[tuple[str, str]]:
    """The scan's dangling links that photos were indexed through: said, as their photos are
    kept (scan_folder marked them incomplete)."""
    return [dangling_link_problem(link) for link in scan.dangling_links
            if any(is_under(p, link) for p in rows)]
