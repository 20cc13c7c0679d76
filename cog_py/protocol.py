"""Messages between the server parent and its worker subprocess. Standard library only.

Both sides import this module; it knows nothing about HTTP or about the user's predictor.

Wire format, one frame per message over a stream socket (a socketpair)::

    >II header_len blob_len | header: compact JSON object | blob: raw bytes (may be empty)

The header always has `t` (the message type, one of the constants below); each kind is a frozen
dataclass below (`Predict`, `Done`, ...) whose fields are the header's other keys, in order. The blob carries bulk
bytes that need no re-encoding on the way through: the raw HTTP request body towards the worker,
ready-made response/snapshot JSON towards the parent. The parent may encode headers with a faster
JSON library; any compact JSON object is valid.

Parent -> worker
    CONFIG   {config}       the worker's configuration, first and only once, when the worker was
                            started before the parent had read its settings (else the
                            environment carries it, COG_WORKER_CONFIG)
    PREDICT  {id, created_at: float epoch, kind: "predictions"|"trainings", wh: [events]|null,
              sse: bool, ack: bool}                                   blob = request body
    CANCEL   {id}
    SNAPSHOT {id}                           -> SNAPSHOT {id, found}   blob = snapshot JSON (+ input)
    HEALTH   {seq}                          -> HEALTH {seq, error: str|null}
    SHUTDOWN {}

Worker -> parent
    SETUP_LOG {data}          text written during start-up (streamed so /health-check shows it)
    GPU       {report}        the boot-time GPU report
    READY     {info, schema}  setup succeeded; `schema` only when the parent asked for it
    SETUP_FAILED {error}      import or setup() failed; the worker exits after sending it
    ACCEPTED  {id}            inputs are valid; the prediction is running (sent when `ack`)
    WEBHOOK   {id, event}     blob = snapshot JSON for a webhook event in the prediction's filter
    SSE       {id, event, data: JSON text}
    DONE      {id, status, code: HTTP status}   blob = the response body (the terminal snapshot)

A worker -> parent header may also carry `~b64`: [[start, length], ...], runs of the blob that
are a file's raw bytes, in order. The parent replaces each by its base64 (`expand`) before it
reads the message: file outputs cross the socket unencoded (a quarter smaller) and are encoded
once, by the parent's fast encoder, straight into the body it answers with (`Spliced`).
"""

from __future__ import annotations

import json
import math
import os
import struct
from datetime import datetime, timezone
# No typing at run time (~8 ms in an image; the parent imports this before it spawns the worker):
# mypy reads TYPE_CHECKING as True, whatever its value.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass
    from typing import Any, Callable, Union, overload
else:   # the same frozen classes without dataclasses' start-up cost (both processes import this)
    from cog_py._record import dataclass

    def overload(func):   # the last definition is the function, as with typing's
        return func

CONFIG = "config"
PREDICT = "predict"
CANCEL = "cancel"
SNAPSHOT = "snapshot"
HEALTH = "health"
SHUTDOWN = "shutdown"

SETUP_LOG = "setup_log"
GPU = "gpu"
READY = "ready"
SETUP_FAILED = "setup_failed"
ACCEPTED = "accepted"
WEBHOOK = "webhook"
SSE = "sse"
DONE = "done"

# Environment variables the parent sets for the worker.
ENV_FD = "COG_WORKER_FD"             # inherited socket fd number
ENV_CONFIG = "COG_WORKER_CONFIG"     # JSON object built by cog_py.server.spawn.worker_config()
                                     # (absent: the parent sends it as the first frame, CONFIG)



@overload
def iso(ts: float) -> str: ...
@overload
def iso(ts: None) -> None: ...
def iso(ts: float | None) -> str | None:
    """An epoch time as RFC 3339 UTC with microseconds, as Cog's server writes timestamps (both
    sides render them: the worker in snapshots, the parent in health and early answers)."""
    if ts is None:
        return None
    # datetime's own rounding (half-even, to the microsecond), the date and time of the second
    # rendered once per second: the same text as datetime.fromtimestamp(ts, utc).isoformat().
    sec = math.floor(ts)
    us = round((ts - sec) * 1e6)
    if us >= 1000000:
        sec += 1
        us -= 1000000
    global _iso_second
    cached = _iso_second   # one read of an immutable pair: safe from any thread
    if cached[0] != sec:
        cached = _iso_second = (sec, datetime.fromtimestamp(sec, timezone.utc).isoformat()[:-6])
    if us:
        return f"{cached[1]}.{us:06d}+00:00"
    return f"{cached[1]}+00:00"


_iso_second: tuple[int | None, str] = (None, "")   # (epoch second, its "YYYY-MM-DDTHH:MM:SS")


PREFIX = struct.Struct(">II")
PREFIX_SIZE = PREFIX.size

# One encoder, made once: json.dumps with any non-default option builds a new one per call.
_encode_header = json.JSONEncoder(separators=(",", ":")).encode
_dumps: Callable[[Any], bytes] = lambda obj: _encode_header(obj).encode()


def encode_frame(header: dict[str, Any], blob: bytes = b"", dumps: Callable[[Any], bytes] = _dumps) -> bytes:
    """Return one frame: the length prefix, the JSON header and the blob."""
    head = dumps(header)
    return PREFIX.pack(len(head), len(blob)) + head + blob


B64 = "~b64"   # header key: the blob's raw runs that the receiver base64-encodes (see the docstring)


class Spliced:
    """A blob with raw runs that the receiver turns into base64: `parts` alternate JSON text and
    a file's raw bytes (text, raw, text, ..., text). Sent as its parts, never joined here."""

    __slots__ = ("parts", "spans", "nbytes")

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts
        spans: list[list[int]] = []
        pos = 0
        for i, part in enumerate(parts):
            if i % 2:
                spans.append([pos, len(part)])
            pos += len(part)
        self.spans = spans
        self.nbytes = pos

    def __len__(self) -> int:
        return self.nbytes


def std_b64encode(data: Any) -> bytes:
    """Base64 with the standard library (the parent passes a faster encoder when it has one)."""
    import binascii

    return binascii.b2a_base64(data, newline=False)


def expand(blob: bytes | bytearray, spans: list[list[int]], b64encode: Callable[[Any], bytes] | None = None) -> bytes:
    """`blob` with each raw run of `spans` (a header's `~b64`) replaced by its base64."""
    enc = b64encode or std_b64encode
    out: list[Any] = []
    pos = 0
    with memoryview(blob) as view:
        for start, length in spans:
            if start < pos or length < 0 or start + length > len(blob):
                raise ValueError(f"bad {B64} span [{start}, {length}] in a blob of {len(blob)} bytes")
            out += (view[pos:start], enc(view[start:start + length]))
            pos = start + length
        out.append(view[pos:])
        return b"".join(out)


LARGE_BLOB = 1 << 16   # a blob above this (a file output's body) gets a buffer of its own
RECEIVE_BUFFER = 1 << 16   # small frames are read into one buffer of this size, many per read


class FrameDecoder:
    """Incremental decoder that reads in place: fill `get_buffer()`, then `buffer_updated(n)`
    returns every frame now complete, in order (the two methods of asyncio.BufferedProtocol).
    `feed(data)` does the same for bytes read elsewhere.

    Small frames are read into one receive buffer of fixed size, many per read; it is never
    resized (a view of it may still be exported while `buffer_updated` runs): a frame that
    does not fit in what is left of it is moved to its start, or into a buffer of the frame's
    own size when it is larger than the receive buffer. A large blob (above LARGE_BLOB) is read
    straight into one bytearray of its final size, `get_buffer` returning the unfilled rest of
    it; only the part that arrived with its header is copied. It is handed on as it is, a
    bytearray: consumers only read it (a copy would be another 100 KB+ allocation).
    """

    __slots__ = ("_loads", "_small", "_buf", "_view", "_pos", "_end", "_head", "_blob", "_filled")

    def __init__(self, loads: Callable[[bytes | bytearray], Any] = json.loads, size: int = RECEIVE_BUFFER) -> None:
        self._loads = loads
        self._small = self._buf = bytearray(size)   # _buf: _small, or a frame's own while a larger one arrives
        self._view = memoryview(self._buf)          # _buf's, made once (it is never resized)
        self._pos = 0            # start of the first frame not yet complete in _buf
        self._end = 0            # end of the bytes received in _buf
        self._head: dict[str, Any] | None = None   # the header of the large blob arriving
        self._blob: bytearray | None = None        # the large blob arriving, filled up to _filled
        self._filled = 0

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """Where the next bytes received go (never empty)."""
        blob = self._blob
        if blob is None:
            return self._view[self._end:]
        return memoryview(blob)[self._filled:]

    def buffer_updated(self, nbytes: int) -> list[tuple[dict[str, Any], bytes]]:
        """`nbytes` were written at the start of the last `get_buffer()`: the frames now complete."""
        blob = self._blob
        if blob is None:
            self._end += nbytes
            return self._parse()
        self._filled += nbytes
        if self._filled < len(blob):
            return []
        frame = (self._head, blob)
        self._head = self._blob = None
        return [frame]   # type: ignore[list-item]   # a bytearray, read only downstream

    def feed(self, data: bytes | bytearray | memoryview) -> list[tuple[dict[str, Any], bytes]]:
        """Add `data`; return every frame now complete, in order."""
        frames: list[tuple[dict[str, Any], bytes]] = []
        with memoryview(data) as rest:
            while rest:
                with self.get_buffer() as into:
                    n = min(len(into), len(rest))
                    into[:n] = rest[:n]
                frames += self.buffer_updated(n)
                rest = rest[n:]
        return frames

    def _parse(self) -> list[tuple[dict[str, Any], bytes]]:
        frames: list[tuple[dict[str, Any], bytes]] = []
        buf, view, pos, end, loads = self._buf, self._view, self._pos, self._end, self._loads
        need = PREFIX_SIZE   # what the first incomplete frame needs in one piece of _buf
        while end - pos >= PREFIX_SIZE:
            hlen, blen = PREFIX.unpack_from(buf, pos)
            hstart = pos + PREFIX_SIZE
            bstart = hstart + hlen
            if blen > LARGE_BLOB:
                if bstart > end:
                    need = PREFIX_SIZE + hlen
                    break
                header = loads(buf[hstart:bstart])
                blob = bytearray(blen)
                pos = min(end, bstart + blen)
                with memoryview(blob) as into:   # what arrived with the header (a bytearray's
                    into[:pos - bstart] = view[bstart:pos]   # slice assignment would copy it twice)
                if pos - bstart < blen:   # the rest is read into the blob (pos == end)
                    self._head, self._blob, self._filled = header, blob, pos - bstart
                    break
                frames.append((header, blob))   # type: ignore[arg-type]
                continue
            stop = bstart + blen
            if stop > end:
                need = stop - pos
                break
            frames.append((loads(buf[hstart:bstart]), bytes(view[bstart:stop]) if blen else b""))
            pos = stop
        if pos == end:   # all complete: start over at the beginning of the receive buffer
            if buf is not self._small:
                self._buf, self._view = self._small, memoryview(self._small)
            self._pos = self._end = 0
        elif pos + need > len(buf):   # the incomplete frame does not fit in what is left
            home = self._small if need <= len(self._small) else bytearray(need)
            dst = view if home is buf else memoryview(home)
            dst[:end - pos] = view[pos:end]   # a memmove where home is buf
            self._buf, self._view = home, dst
            self._pos, self._end = 0, end - pos
        else:
            self._pos = pos
        return frames


# -- typed messages: one frozen dataclass per kind -------------------------------------------
# A message's header is {"t": KIND, **fields} in field order (the bytes on the wire are those of
# the dicts the two sides exchanged before). `decode_*` turns a received header back into one.

@dataclass(frozen=True)
class Predict:
    T = PREDICT
    id: str
    created_at: float = 0.0
    kind: str = "predictions"          # or "trainings"
    wh: list[str] | None = None        # webhook events the worker reports (the filter less "completed")
    sse: bool = False                  # keep the events (a streaming client may subscribe)
    ack: bool = False                  # send ACCEPTED once the inputs are valid


@dataclass(frozen=True)
class Cancel:
    T = CANCEL
    id: str


@dataclass(frozen=True)
class SnapshotRequest:
    T = SNAPSHOT
    id: str


@dataclass(frozen=True)
class HealthRequest:
    T = HEALTH
    seq: int


@dataclass(frozen=True)
class Shutdown:
    T = SHUTDOWN


@dataclass(frozen=True)
class SetupLog:
    T = SETUP_LOG
    data: str


@dataclass(frozen=True)
class Gpu:
    T = GPU
    report: dict[str, Any]


@dataclass(frozen=True)
class Ready:
    T = READY
    info: dict[str, Any]
    schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class SetupFailed:
    T = SETUP_FAILED
    error: str


@dataclass(frozen=True)
class Accepted:
    T = ACCEPTED
    id: str


@dataclass(frozen=True)
class Webhook:
    T = WEBHOOK
    id: str
    event: str


@dataclass(frozen=True)
class Sse:
    T = SSE
    id: str
    event: str
    data: str


@dataclass(frozen=True)
class Done:
    T = DONE
    id: str
    status: str
    code: int = 200


@dataclass(frozen=True)
class SnapshotReply:
    T = SNAPSHOT
    id: str
    found: bool = False


@dataclass(frozen=True)
class HealthReply:
    T = HEALTH
    seq: int
    error: str | None = None


if TYPE_CHECKING:
    Blob = Union[bytes, Spliced]   # what a worker sends after a header: bytes, or with raw file runs
    ToWorker = Union[Predict, Cancel, SnapshotRequest, HealthRequest, Shutdown]
    ToParent = Union[SetupLog, Gpu, Ready, SetupFailed, Accepted, Webhook, Sse, Done, SnapshotReply, HealthReply]
else:
    def __getattr__(name):   # the two unions on first use (`Callable[[protocol.ToParent, bytes], None]`)
        if name == "Blob":
            from typing import Union

            globals()[name] = Union[bytes, Spliced]
            return globals()[name]
        if name not in ("ToWorker", "ToParent"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from typing import Union

        value = (Union[Predict, Cancel, SnapshotRequest, HealthRequest, Shutdown] if name == "ToWorker" else
                 Union[SetupLog, Gpu, Ready, SetupFailed, Accepted, Webhook, Sse, Done, SnapshotReply, HealthReply])
        globals()[name] = value
        return value

_TO_WORKER: dict[str, Any] = {c.T: c for c in (Predict, Cancel, SnapshotRequest, HealthRequest, Shutdown)}
_TO_PARENT: dict[str, Any] = {c.T: c for c in (SetupLog, Gpu, Ready, SetupFailed, Accepted, Webhook, Sse, Done,
                                               SnapshotReply, HealthReply)}


def header_of(msg: ToWorker | ToParent) -> dict[str, Any]:
    """The frame header of `msg`: its kind under `t`, then its fields in order."""
    return {"t": msg.T, **msg.__dict__}


def encode(msg: ToWorker | ToParent, blob: bytes = b"", dumps: Callable[[Any], bytes] = _dumps) -> bytes:
    """One frame carrying `msg` (and `blob`)."""
    if type(msg) is Done and dumps is _dumps:   # once per prediction: its header written directly
        head = (f'{{"t":"{DONE}","id":{_json_str(msg.id)},"status":{_json_str(msg.status)},'
                f'"code":{int(msg.code)}}}').encode()
        return PREFIX.pack(len(head), len(blob)) + head + blob
    return encode_frame(header_of(msg), blob, dumps)


_json_str: Callable[[str], str] = json.encoder.encode_basestring_ascii

WRITE_APART = 1 << 16   # a blob above this is written after its frame head, never copied into a frame


def frame_parts(msg: ToWorker | ToParent, blob: bytes | bytearray | Spliced = b"",
                dumps: Callable[[Any], bytes] = _dumps) -> list[bytes | bytearray]:
    """The buffers to write for one frame: the whole frame, or its head and then a large blob as
    it is (a `Spliced` blob: its parts, with `~b64` in the header)."""
    if isinstance(blob, Spliced):
        header = header_of(msg)
        header[B64] = blob.spans
        head = dumps(header)
        return [PREFIX.pack(len(head), blob.nbytes) + head, *blob.parts]
    if len(blob) <= WRITE_APART:
        return [encode(msg, bytes(blob), dumps)]
    head = encode(msg, b"", dumps)[PREFIX_SIZE:]
    return [PREFIX.pack(len(head), len(blob)) + head, blob]


def coalesce(parts: list[bytes | bytearray]) -> list[bytes | bytearray]:
    """`parts` for as few writes as their sizes allow: small neighbours joined, large ones apart."""
    if len(parts) <= 1:
        return parts
    out: list[bytes | bytearray] = []
    small: list[bytes | bytearray] = []
    for part in parts:
        if len(part) > WRITE_APART:
            if small:
                out.append(b"".join(small))
                small = []
            out.append(part)
        else:
            small.append(part)
    if small:
        out.append(b"".join(small))
    return out


# Decoding fills the instance's __dict__ from the header instead of calling the frozen __init__
# (a third of the cost on the per-request path); a key the sender left out reads as the field's
# default, which is a class attribute of the dataclass.
_new = object.__new__


def decode_to_worker(header: dict[str, Any]) -> ToWorker:
    """The message a parent -> worker header carries (`header` is consumed)."""
    msg: ToWorker = _new(_TO_WORKER[header.pop("t")])
    msg.__dict__.update(header)
    return msg


def decode_to_parent(header: dict[str, Any]) -> ToParent:
    """The message a worker -> parent header carries (`header` is consumed)."""
    msg: ToParent = _new(_TO_PARENT[header.pop("t")])
    msg.__dict__.update(header)
    return msg


# The worker's file inputs live in `cog-inputs-<pid>-<random>` in TMPDIR: the worker removes its
# directory when it exits, the parent removes what a killed worker left (both sides know the name).
INPUT_DIR_PREFIX = "cog-inputs-"


def input_dir(pid: int | None = None) -> str:
    """A fresh (not yet created) input directory name for worker `pid` (default: this process)."""
    import tempfile   # here: both processes import this module at start (tempfile + shutil ~2.5 ms there)

    return os.path.join(tempfile.gettempdir(), f"{INPUT_DIR_PREFIX}{pid or os.getpid()}-{os.urandom(4).hex()}")


def remove_input_dirs(pid: int) -> None:
    """Remove every input directory worker `pid` made (it has exited; the names are its own)."""
    import glob
    import shutil
    import tempfile

    for path in glob.glob(os.path.join(tempfile.gettempdir(), f"{INPUT_DIR_PREFIX}{pid}-*")):
        shutil.rmtree(path, ignore_errors=True)
