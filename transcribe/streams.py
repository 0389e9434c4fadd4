"""Several parts of one long recording decoded side by side, their model calls batched.

faster-whisper decodes a long recording one 30-second window after another, and on a CPU each
beam-search step of one window is too small to keep the cores busy. Here the audio is cut at quiet
places into a few parts; each part runs faster-whisper's own sequential algorithm (VAD, seeking,
temperature fallback, word timestamps) in a thread of its own, and a :class:`Batcher` stands in for the
CTranslate2 model: it waits until every part has asked for the same kind of call (encode, generate,
align) with the same options and runs them as one batched call. The decoding of each window is the
one sequential faster-whisper makes; only the batching differs.

On a CPU the parts are dealt to ``lanes`` (two) meetings, each with its own Batcher, over a CTranslate2
model with as many workers, each on its share of the cores: two one-thread calls at once use 2 cores
better than one two-thread call, whose beam-search steps are too small to split. On the 2-core
reference machine, 10 minutes of ../shared/speech, one process each, alternating: sequential 89.8 s
and 87.4 s; four parts in one lane 73.0 s and 78.5 s; four parts in two lanes 65.4 s and 61.7 s
(WER 9.7 % sequential, 8.1 % in parts).

With :mod:`transcribe.whisper`, the only module that calls faster-whisper and CTranslate2.
"""

from __future__ import annotations

import copy
import dataclasses
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from transcribe.errors import TranscribeError

SAMPLE_RATE = 16000
# 10 minutes on 2 cores, two lanes, alternating runs: 4 parts 64.1/63.0/64.0 s, 6 parts 54.6/54.8/58.2 s,
# 8 parts 60.9/58.4/61.9 s (parts of 75 s: more of the work is their last, part-empty windows).
MAX_STREAMS = 6
MIN_PART_S = 90.0  # a part shorter than three windows wastes its last, part-empty batches


class Cancelled(TranscribeError):
    """The caller stopped the transcription (Ctrl-C, or its progress callback raised)."""

    hint = "run the same command again to transcribe it"

    def __init__(self, message: str = "the transcription was cancelled", *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)


def auto_streams(duration: float, lanes: int = 1, most: int = MAX_STREAMS) -> int:
    """How many parts to decode side by side for a recording of ``duration`` seconds: one per
    ``MIN_PART_S``, at most ``most``, and a multiple of ``lanes`` once there are that many (a lane with
    one part fewer than the other would leave its core idle at the end)."""
    n = max(1, min(most, MAX_STREAMS, int(duration // MIN_PART_S)))
    return n - n % lanes if lanes > 1 and n >= lanes else n


def cut_points(samples: np.ndarray, parts: int, sr: int = SAMPLE_RATE) -> list[int]:
    """Sample offsets [0, c1, ..., len] that cut ``samples`` into ``parts`` near-equal parts, each in a
    pause (so no word is split): in the pause nearest the even cut, within a quarter of a share of it,
    at its quietest 300 ms. A pause is 300 ms at least 20 dB under the recording's median level. Where
    there is none, the quietest 300 ms in reach.

    Near-equal matters more than the deepest silence: the parts are decoded side by side, and the
    longest one decides when the whole is done (cutting at the quietest place instead gave parts of
    85 to 178 s for 10 minutes, and the two lanes finished 12 s apart)."""
    n = len(samples)
    if parts <= 1 or n < parts * sr:
        return [0, n]
    hop = sr // 100  # 10 ms frames
    frames = n // hop
    energy = np.sqrt(np.mean(np.square(samples[: frames * hop].reshape(frames, hop), dtype=np.float64), axis=1) + 1e-12)
    smooth = np.convolve(energy, np.ones(30) / 30, mode="same")
    quiet = smooth <= 0.1 * np.median(smooth)
    reach = max(1, frames // (4 * parts))
    points = [0]
    for j in range(1, parts):
        even = frames * j // parts
        lo, hi = max(even - reach, points[-1] // hop + 1), min(even + reach, frames - 1)
        if hi <= lo:
            points.append(even * hop)
            continue
        near = np.flatnonzero(quiet[lo:hi])
        if len(near) == 0:
            points.append((lo + int(np.argmin(smooth[lo:hi]))) * hop)
            continue
        at = lo + int(near[np.argmin(np.abs(near + lo - even))])
        a, b = at, at + 1  # the whole pause around it, then its quietest frame
        while a > lo and quiet[a - 1]:
            a -= 1
        while b < hi and quiet[b]:
            b += 1
        points.append((a + int(np.argmin(smooth[a:b]))) * hop)
    points.append(n)
    return points


@dataclass
class _Encoded:
    """What :meth:`Batcher.encode` returns to one part: rows of a batched encoder output."""

    batch: Any  # ctranslate2.StorageView
    rows: list[int]


def _encoded(x: Any) -> _Encoded:
    """An encoder-output argument as rows of a batch: ours as it is, a plain StorageView as all its rows."""
    return x if isinstance(x, _Encoded) else _Encoded(x, list(range(x.shape[0])))


class _Request:
    __slots__ = ("kind", "key", "args", "n", "done", "result", "error", "slot")

    def __init__(self, kind: str, key: tuple[Any, ...], args: tuple[Any, ...], n: int) -> None:
        self.kind, self.key, self.args, self.n = kind, key, args, n
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.slot = 0  # the worker's place in the batch order


_CYCLE = {"encode": 0, "detect_language": 1, "generate": 2, "align": 3}  # the calls for one window, in order


def _options_key(kw: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, repr(v)) for k, v in kw.items()))


class Batcher:
    """Stands in for a ``ctranslate2.models.Whisper`` shared by ``workers`` threads: a call waits until
    every worker that has not left has made one, then the calls of one kind and options run as one
    batch, in the workers' order. Attributes other than the batched calls pass through to the model.

    The make-up of every batch is a function of the workers' calls alone, never of when they came: a
    batched call is not bit-for-bit the same as the same rows in another batch (int8 matrix products
    block differently for other batch sizes), so a batch that depended on which part was ready first
    made the transcript depend on how loaded the machine was. So the first batch waits for every
    worker's first call (the parts prepare their VAD and features one after another, so decoding starts
    once the last part is prepared; the cost against starting early was not measured on a quiet
    machine), groups are chosen by a fixed rule, and rows are in the order of the workers
    (:meth:`enter`)."""

    def __init__(self, model: Any, workers: int) -> None:
        self._model = model
        self._cv = threading.Condition()
        self._waiting = workers  # workers that have not made a call yet
        self._joined: set[int] = set()  # threads of the workers decoding now
        self._slots: dict[int, int] = {}  # thread -> the worker's place in every batch (enter())
        self._pending: list[_Request] = []
        self._cancelled = False
        self.calls = 0  # calls the workers made
        self.batches = 0  # model calls made for them
        self.log: list[tuple[str, tuple[int, ...]]] = []  # each batch: its kind and the workers in it

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    # the calls faster-whisper makes on its model
    def encode(self, features: Any, to_cpu: bool = False) -> _Encoded:
        out: _Encoded = self._submit(_Request("encode", ("encode", to_cpu), (features,), 0))
        return out

    def generate(self, encoder_output: Any, prompts: list[list[int]], **kw: Any) -> list[Any]:
        key = ("generate", _options_key(kw), tuple(len(p) for p in prompts))
        out: list[Any] = self._submit(_Request("generate", key, (encoder_output, prompts, kw), len(prompts)))
        return out

    def align(
        self, encoder_output: Any, start_sequence: list[int], text_tokens: list[list[int]], num_frames: Any, **kw: Any
    ) -> list[Any]:
        key = ("align", tuple(start_sequence), _options_key(kw))
        out: list[Any] = self._submit(
            _Request("align", key, (encoder_output, start_sequence, text_tokens, num_frames, kw), len(text_tokens))
        )
        return out

    def detect_language(self, encoder_output: Any, **kw: Any) -> list[Any]:
        out: list[Any] = self._submit(
            _Request("detect_language", ("detect_language", _options_key(kw)), (encoder_output, kw), 0)
        )
        return out

    # the meeting
    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def enter(self, slot: int) -> None:
        """Give the calling worker thread its place in the order of every batch (its part's number).
        A worker that does not enter gets the next place when it first calls."""
        with self._cv:
            self._slots[threading.get_ident()] = slot

    def leave(self) -> None:
        """A worker is done (or failed): the others no longer wait for it. Called in its thread."""
        with self._cv:
            me = threading.get_ident()
            if me in self._joined:
                self._joined.discard(me)
            else:
                self._waiting -= 1
            self._cv.notify_all()

    def cancel(self) -> None:
        """Make every waiting and later call raise :class:`Cancelled`."""
        with self._cv:
            self._cancelled = True
            for r in self._pending:
                r.error, r.done = Cancelled(), True
            self._pending = []
            self._cv.notify_all()

    def _submit(self, req: _Request) -> Any:
        with self._cv:
            if self._cancelled:
                raise Cancelled()
            me = threading.get_ident()
            if me not in self._joined:
                self._joined.add(me)
                self._waiting -= 1
            req.slot = self._slots.setdefault(me, len(self._slots) + 1_000_000)
            self._pending.append(req)
            self.calls += 1
            self._cv.notify_all()
            while not req.done:
                self._cv.wait()
        if req.error is not None:
            raise req.error
        return req.result

    def serve(self) -> None:
        """Run the workers' calls until they have all left. Each time every worker that has not left
        waits on a call, one group of calls of the same kind and options runs as one batch: the kind
        earliest in a window's cycle (encode, generate, align), so that a part that fell out of step (a
        temperature fallback) catches up and the parts meet at the same kind of call again; among
        those the largest group, then the one with the first worker. The others wait for the next turn.
        One thread makes every model call, so the model's working memory is allocated in one place (in
        the workers' threads glibc kept a copy per thread)."""
        while True:
            with self._cv:
                while not self._cancelled and not (
                    self._pending and not self._waiting and len(self._pending) >= len(self._joined)
                ):
                    if not self._joined and not self._waiting:
                        return
                    self._cv.wait()
                if self._cancelled:
                    return
                groups: dict[tuple[Any, ...], list[_Request]] = {}
                for r in sorted(self._pending, key=lambda r: r.slot):
                    groups.setdefault(r.key, []).append(r)
                group = min(groups.values(), key=lambda g: (_CYCLE[g[0].kind], -len(g), g[0].slot))
                self._pending = [r for r in self._pending if r.key != group[0].key]  # the group is its key's
                self.log.append((group[0].kind, tuple(r.slot for r in group)))
            try:
                self.batches += 1
                getattr(self, "_run_" + group[0].kind)(group)
            except BaseException as e:  # each caller gets the model's error, as a lone call would
                for r in group:
                    r.error = e
            with self._cv:
                for r in group:
                    r.done = True
                self._cv.notify_all()

    # the batched calls
    def _run_encode(self, group: list[_Request]) -> None:
        """On a CPU one window at a time (batching the encoder saved nothing there, and four windows at
        once need four times the attention memory), then stacked for the batched decoding; on a GPU as
        one batch."""
        import ctranslate2

        to_cpu = group[0].key[1]
        if getattr(self._model, "device", "cpu") == "cpu":
            outs = [self._model.encode(r.args[0], to_cpu=to_cpu) for r in group]
            out = (
                outs[0]
                if len(outs) == 1
                else ctranslate2.StorageView.from_array(
                    np.ascontiguousarray(np.concatenate([np.asarray(o) for o in outs]))
                )
            )
            sizes = [o.shape[0] for o in outs]
        else:
            arrays = [np.asarray(r.args[0]) for r in group]
            features = (
                group[0].args[0]
                if len(group) == 1
                else ctranslate2.StorageView.from_array(np.ascontiguousarray(np.concatenate(arrays)))
            )
            out = self._model.encode(features, to_cpu=to_cpu)
            sizes = [a.shape[0] for a in arrays]
        row = 0
        for r, n in zip(group, sizes, strict=True):
            r.result = _Encoded(out, list(range(row, row + n)))
            row += n

    def _features(self, group: list[_Request]) -> Any:
        """One encoder output for the group: the batch itself when the group asks for exactly its rows,
        in order (the usual case), else the rows gathered."""
        import ctranslate2

        parts = [_encoded(r.args[0]) for r in group]
        first = parts[0].batch
        if all(p.batch is first for p in parts) and [i for p in parts for i in p.rows] == list(range(first.shape[0])):
            return first
        arrays = []
        for p in parts:
            b = p.batch
            if getattr(b, "device", "cpu") != "cpu":
                b = b.to_device(ctranslate2.Device.cpu)
            arrays.append(np.asarray(b)[p.rows])
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.concatenate(arrays)))

    @staticmethod
    def _split(group: list[_Request], results: list[Any], sizes: list[int]) -> None:
        row = 0
        for r, n in zip(group, sizes, strict=True):
            r.result = results[row : row + n]
            row += n

    def _run_generate(self, group: list[_Request]) -> None:
        prompts = [p for r in group for p in r.args[1]]
        results = self._model.generate(self._features(group), prompts, **group[0].args[2])
        self._split(group, results, [r.n for r in group])

    def _run_align(self, group: list[_Request]) -> None:
        tokens = [t for r in group for t in r.args[2]]
        frames: list[int] = []
        for r in group:
            f = r.args[3]
            frames += list(f) if isinstance(f, (list, tuple)) else [int(f)] * r.n
        results = self._model.align(self._features(group), group[0].args[1], tokens, frames, **group[0].args[4])
        self._split(group, results, [r.n for r in group])

    def _run_detect_language(self, group: list[_Request]) -> None:
        sizes = [len(_encoded(r.args[0]).rows) for r in group]
        results = self._model.detect_language(self._features(group), **group[0].args[1])
        self._split(group, results, sizes)


def transcribe_parts(
    model: Any,
    samples: np.ndarray,
    parts: int,
    kwargs: dict[str, Any],
    on_segment: Callable[[int, float, Any], None] | None = None,
    stats: dict[str, Any] | None = None,
    lanes: int = 1,
    before_part: Callable[[int], None] | None = None,
) -> list[Any]:
    """Transcribe ``samples`` (16 kHz mono float32) as ``parts`` parts decoded side by side with one
    ``faster_whisper.WhisperModel``; returns faster-whisper's segments with times in the whole audio.

    ``on_segment(part, offset, segment)`` is called in the calling thread as segments come; an exception
    from it (or Ctrl-C) stops every part and propagates. ``kwargs`` go to ``WhisperModel.transcribe``;
    give a language (detecting it per part could give the parts different languages). ``lanes`` > 1
    deals the parts to that many meetings that call the model at the same time (part j to lane
    j % lanes); the model should have as many CTranslate2 workers. ``stats``, when given, receives the
    number of parts and lanes, the workers' calls, the batched model calls, and each lane's schedule (per
    batch: its kind and the parts in it). The result depends on the audio, the model and ``kwargs`` only,
    never on timing (see :class:`Batcher`).

    ``before_part(j)``, when given, runs in part j's thread before it prepares its part (a test uses it
    to hold parts back and show that the result does not change)."""
    if not kwargs.get("language"):
        raise ValueError("transcribe_parts needs a language: detect it once for the whole recording first")
    points = cut_points(samples, parts)
    parts = len(points) - 1
    lanes = max(1, min(lanes, parts))
    batchers = [Batcher(model.model, len(range(i, parts, lanes))) for i in range(lanes)]
    worker_models = []
    for b in batchers:
        wm = copy.copy(model)  # the caller's model keeps its own CTranslate2 model
        wm.model = b
        worker_models.append(wm)
    results: list[list[Any]] = [[] for _ in range(parts)]
    events: queue.Queue[Any] = queue.Queue()

    # faster-whisper runs VAD and the feature extraction of a whole part before its first window, with
    # large temporary arrays: one part at a time, in order, keeps the peak memory of a long recording at
    # a part's, and gives each lane its first part early (it starts decoding while the next is prepared)
    gate = threading.Condition()
    turn = [0]

    def work(j: int) -> None:
        batcher = batchers[j % lanes]
        batcher.enter(j)
        try:
            if before_part is not None:
                before_part(j)
            with gate:
                while turn[0] != j:
                    gate.wait()
            try:
                if batcher.cancelled:  # stopped while this part waited its turn
                    raise Cancelled()
                segments, _ = worker_models[j % lanes].transcribe(samples[points[j] : points[j + 1]], **kwargs)
            finally:
                with gate:
                    turn[0] += 1
                    gate.notify_all()
            for s in segments:
                events.put((j, s, None))
        except BaseException as e:
            events.put((j, None, e))
        finally:
            batcher.leave()
            events.put((j, None, StopIteration()))

    threads = [threading.Thread(target=work, args=(j,), name=f"whisper-part-{j}", daemon=True) for j in range(parts)]
    threads += [
        threading.Thread(target=b.serve, name=f"whisper-batcher-{i}", daemon=True) for i, b in enumerate(batchers)
    ]
    for t in threads:
        t.start()
    running, error = parts, None
    try:
        while running:
            try:
                j, seg, exc = events.get(timeout=0.25)
            except queue.Empty:
                continue
            if isinstance(exc, StopIteration):
                running -= 1
            elif exc is not None:
                if error is None and not isinstance(exc, Cancelled):
                    error = exc
                    for b in batchers:
                        b.cancel()
            elif error is None:
                offset = points[j] / SAMPLE_RATE
                results[j].append(_shift(seg, offset))
                if on_segment is not None:
                    on_segment(j, offset, results[j][-1])
    except BaseException:
        for b in batchers:
            b.cancel()
        for t in threads:
            t.join(timeout=30)
        raise
    for t in threads:
        t.join()
    if stats is not None:
        stats.update(
            parts=parts,
            lanes=lanes,
            calls=sum(b.calls for b in batchers),
            batches=sum(b.batches for b in batchers),
            schedule=[b.log for b in batchers],
        )
    if error is not None:
        raise error
    return [s for part in results for s in part]


def _shift(segment: Any, offset: float) -> Any:
    """A faster-whisper segment (a dataclass) with its times and its words' times moved by ``offset``."""
    if not offset:
        return segment
    words = segment.words
    if words:
        words = [dataclasses.replace(w, start=w.start + offset, end=w.end + offset) for w in words]
    return dataclasses.replace(segment, start=segment.start + offset, end=segment.end + offset, words=words)
