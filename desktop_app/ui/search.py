"""An immutable search snapshot (codes + paths) that pool threads can search without SQLite."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..core import raw_twins
from ..core.duplicates import duplicate_groups
from ..core.hashing import HammingIndex
from ..core.records import Match

# A library of at most this many photos besides the one searched for may hold its own twins
# alone: they are looked for among all its photos when none is found within the distance.
_FEW = 8


@dataclass(frozen=True)
class SearchSnapshot:
    index: HammingIndex
    paths: Mapping[int, str] = field(default_factory=dict)
    model_name: str = ""
    model_id: str = ""  # the model whose codes these are ("" for none yet)
    # photo id -> (fingerprint, stamp) of photos with a byte-identical copy (library.
    # shared_contents): the duplicates search reads one header for all copies of a content.
    contents: Mapping[int, tuple] = field(default_factory=dict)

    @property
    def bits(self) -> int:
        return self.index.bits

    def __len__(self) -> int:
        return len(self.index)

    def similar(self, photo_id: int, k: int = 40, max_distance: int | None = None) -> Found:
        code = self.index.code_of(photo_id)
        if code is None:
            return Found()
        return self.similar_to_code(code, k, max_distance, exclude=(photo_id,),
                                    query_path=self.paths.get(photo_id, ""))

    def similar_to_code(self, code: np.ndarray, k: int | None = 40,
                        max_distance: int | None = None, exclude=(),
                        query_path: str = "") -> Found:
        """The `k` closest photos (all within the distance for None), by distance then id, each
        RAW+JPEG pair once and the twins of the photo at `query_path` left out (raw_twins.
        closest_pictures, as the command line's `similar` gives them). So the first 80 (Show
        more) leave out every raw the first 40 did, and each list holds as many results as it
        says. `more` says whether a hit was left that makes one more result."""
        pictures, full = raw_twins.closest_pictures(self.index, code, lambda ids: self.paths, k,
                                                    max_distance, exclude, query_path)
        found = Found(pictures.results())
        found.own_twins, found.more = pictures.own_twins, full
        if not found and query_path and len(self.index) <= len(exclude) + _FEW:
            # None within the distance, among a few photos: are they all its own twins (the
            # pair alone in the library)? Then no slider finds another photo.
            found.own_twins = sum(pictures.is_own_twin(path) for i, path in self.paths.items()
                                  if i not in exclude and self.index.position_of(i) is not None)
        return found

    def duplicates(self, max_distance: int | None = None,
                   should_stop: Callable[[], bool] | None = None) -> list[list[Match]]:
        """Groups of near-identical photos, as PhotoLibrary.duplicates(one_per_picture=True)
        gives them (first photo = lowest id, distances to it, largest groups first), computed
        without SQLite: a camera's RAW+JPEG pair's JPEG (or HEIC) is not listed beside its raw,
        named in the raw's `twins` instead, so a pair alone is no group (raw_twins.
        duplicate_pictures). Raises duplicates.SearchStopped once should_stop() is true."""
        groups = (([Match(h.photo_id, self.paths[h.photo_id], h.distance, self.index.bits)
                    for h in hits if h.photo_id in self.paths], hits[0].photo_id)
                  for hits in duplicate_groups(self.index, max_distance, should_stop))
        return raw_twins.duplicate_pictures(groups, self.index, should_stop)


class Found(list):
    """Search results (Matches, closest first), how many twins of the photo searched for (its
    raw, or its JPEG) were among the hits, left out (in a library of a few photos where none
    was found, among them all), and whether more results lie within the distance (a list: what
    takes results takes it)."""

    own_twins: int = 0
    more: bool = False


def empty_snapshot(bits: int = 48) -> SearchSnapshot:
    return SearchSnapshot(HammingIndex(np.zeros(0, dtype=np.int64),
                                       np.zeros((0, (bits + 7) // 8), dtype=np.uint8), bits))


class QueryEncoder:
    """Encodes photos from outside the library (dropped or pasted) on a pool thread, with the
    active model, exactly as the library encodes (same decode, same preprocessing). The session
    is loaded on first use, off the GUI thread; onnxruntime sessions are thread-safe.
    `expected_id`: the model the library uses; another one found in its folder since (trained
    or exported into it) is refused: its codes would be compared with the library's."""

    def __init__(self, model_dir: str | None, expected_id: str = "") -> None:
        import threading

        self.model_dir = model_dir
        self.expected_id = expected_id
        self.model_id = ""  # known once the model is loaded
        self._encoder = None
        self._lock = threading.Lock()

    def encode_file(self, path: str) -> np.ndarray:
        from ..core import images

        return self.encode_bytes(images.read_bytes(path), path)

    def encode_bytes(self, data: bytes, path: str) -> np.ndarray:
        """The code of a photo file's bytes (`path` names it in errors)."""
        from ..core import images
        from ..core.encoder import load_encoder
        from ..core.errors import ModelError
        from ..core.preprocess import draft_target, preprocess

        with self._lock:
            if self._encoder is None:
                if not self.model_dir:
                    raise ModelError(None, "no model is installed, so photos cannot be searched",
                                     "Import a model folder in the Model tab")
                try:
                    encoder = load_encoder(self.model_dir)
                except ModelError as exc:  # deleted or damaged since the library loaded it
                    raise ModelError(exc.path, "the active model cannot be loaded to encode this "
                                     f"photo ({exc.reason})", "Photos of the library can still "
                                     "be searched; for others, switch to another model in the "
                                     "Model tab, or import this one again") from exc
                if self.expected_id and encoder.model_id != self.expected_id:
                    raise ModelError(self.model_dir, "the model in this folder was replaced "
                                     "since Lookalike loaded it (another model was trained or "
                                     "exported into it), so a photo from outside the library "
                                     "cannot be encoded like the library's photos", "Photos of "
                                     "the library can still be searched; to use the new model, "
                                     "choose it again in the Model tab and press Switch to "
                                     "this model")
                self._encoder = encoder
            encoder = self._encoder
        self.model_id = encoder.model_id
        spec = encoder.card.input
        image, _, _ = images.decode(data, path, min_size=draft_target(spec))
        return encoder.encode_pixels(preprocess(image, spec)[None])[0]


def keeper_first(group: list[Match], snapshot: SearchSnapshot,
                 should_stop: Callable[[], bool] | None = None) -> list[Match]:
    """The group with the photo worth keeping first, distances to it, and why it is kept (a
    keeper.Group; core/keeper.py says how it is chosen), each photo's `twins` kept. Reads a
    header per content (the snapshot's `contents` say which photos are copies): run it off the
    GUI thread. Raises duplicates.SearchStopped once should_stop() is true."""
    from ..core import keeper

    return keeper.keeper_first(group, snapshot.index, should_stop, snapshot.contents)
