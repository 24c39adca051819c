"""nc.save / nc.load: state dicts (name -> tensor or array) in numpy's .npz format, and the file helpers
nc.keras.saving shares: an atomic writer and a zip/.npy reader that trusts nothing in the file.

No pickle: arrays only, each .npy header checked (numeric dtype, size equal to the bytes present) before
any memory is set aside, so an untrusted or damaged file can neither run code nor make us allocate wildly.
Zip members are read whole, which checks their CRC-32, so flipped bytes in the data are caught.
Files are written to a temporary name in the same folder, flushed to disk and renamed over the target,
so a crash or kill mid-save leaves the previous file intact.
"""
from __future__ import annotations

import io
import os
import struct
import tempfile
import zipfile
from collections.abc import Callable
from typing import IO, Any, BinaryIO, Union

import numpy as np

from ._core import Tensor

__all__ = ["save", "load", "atomic_write"]

PathLike = Union[str, "os.PathLike[str]"]

# Errors from the environment pass through unchanged; anything else raised while parsing a file means the
# file is damaged or not ours, and becomes a ValueError.
_ENVIRONMENT_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def _default_mode() -> int:
    umask = os.umask(0)  # the only portable way to read the umask is to set it
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Call write(file_object) on a temporary file next to `path`, fsync it, then rename it onto `path`.

    The new file gets the old file's permissions (or the usual ones for a new file: 0o666 minus the umask,
    where mkstemp would give 0o600). If `write` raises, the temporary file is removed and `path` untouched.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = _default_mode()
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    # Make the rename itself durable; not every platform lets a folder be opened.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def npy_bytes(array: Any) -> bytes:
    """The .npy encoding of a numeric array (no pickle)."""
    array = np.asarray(array)
    if array.dtype.hasobject:
        raise TypeError(f"only numeric arrays can be saved, got dtype {array.dtype}")
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=False)
    return buf.getvalue()


def parse_npy(data: bytes, what: str) -> np.ndarray[Any, Any]:
    """Decode .npy bytes into a new array; ValueError naming `what` if the header or size is wrong."""
    bio = io.BytesIO(data)
    version = np.lib.format.read_magic(bio)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(bio)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(bio)
    else:
        raise ValueError(f"{what}: unsupported .npy version {version}")
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biufc":
        raise ValueError(f"{what}: dtype {dtype} is not a plain numeric dtype")
    count = 1
    for d in shape:
        count *= int(d)
    offset = bio.tell()
    if len(data) - offset != count * dtype.itemsize:
        raise ValueError(f"{what}: header says shape {shape} of {dtype} ({count * dtype.itemsize} bytes), "
                         f"the file holds {len(data) - offset} bytes")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    out: np.ndarray[Any, Any]
    if fortran_order:
        out = np.array(flat.reshape(shape[::-1]).T, order="F")
    else:
        out = flat.reshape(shape).copy()
    return out


def _declared_entry_count(f: IO[bytes]) -> int:
    """The member count the end-of-central-directory record declares (zip64 aware). zipfile stops reading the
    central directory when its byte size is used up, so a damaged length field can hide members; comparing
    with this count catches that."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    tail_len = min(size, 22 + 0xFFFF)  # the record (22 bytes) plus the longest possible comment
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or tail_len - at < 22:
        raise zipfile.BadZipFile("no end of central directory record")
    count: int = struct.unpack("<H", tail[at + 10:at + 12])[0]
    if count == 0xFFFF and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        f.seek(struct.unpack("<Q", tail[at - 12:at - 4])[0])
        record = f.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            count = struct.unpack("<Q", record[32:40])[0]
    return count


def read_zip(path: PathLike, what: str = "file") -> dict[str, bytes]:
    """All members of a zip file as {name: bytes}, each CRC-checked. ValueError if `path` is not a sound
    zip file (including a member count that differs from the one declared, or duplicate names);
    FileNotFoundError and other environment errors pass through."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            with zipfile.ZipFile(f) as zf:
                infos = zf.infolist()
                declared = _declared_entry_count(f)
                if len(infos) != declared:
                    raise zipfile.BadZipFile(f"the central directory lists {len(infos)} members, the end record "
                                             f"declares {declared}")
                members = {info.filename: zf.read(info) for info in infos}
                if len(members) != len(infos):
                    raise zipfile.BadZipFile("duplicate member names")
                return members
    except _ENVIRONMENT_ERRORS:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile raises many types on damaged input
        raise ValueError(f"{path!r} is not a valid {what}: the zip container is damaged or truncated "
                         f"({type(exc).__name__}: {exc})") from exc


def save(obj: dict[str, Any], path: PathLike) -> None:
    """Save a mapping of names to tensors/arrays (a state dict) to `path` (numpy .npz, readable by np.load)."""
    if not isinstance(obj, dict):
        raise TypeError(f"nc.save expects a dict of name -> tensor (a state_dict), got {type(obj).__name__}")
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    for k, v in obj.items():
        if not isinstance(k, str):
            raise TypeError(f"nc.save: keys must be strings, got {k!r}")
        arrays[k] = v.detach().contiguous().numpy() if isinstance(v, Tensor) else np.asarray(v)
        if arrays[k].dtype == object:
            raise TypeError(f"nc.save: value for {k!r} is not numeric array data")
    # Members written here rather than by np.savez(**arrays), where a key such as "allow_pickle" would be taken
    # as savez's own flag instead of an array; the layout (NAME.npy members of a zip) is np.savez's.
    def write(f: IO[bytes]) -> None:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
            for name, array in arrays.items():
                zf.writestr(name + ".npy", npy_bytes(array))

    atomic_write(path, write)


def load(path: PathLike) -> dict[str, Tensor]:
    """Load a dict of name -> tensor saved by nc.save. A damaged or foreign file raises ValueError."""
    from ._tensor import tensor
    members = read_zip(path, "neurocore/npz file")
    out: dict[str, Tensor] = {}
    for name, data in members.items():
        if not name.endswith(".npy"):
            raise ValueError(f"nc.load: {os.fspath(path)!r} is not a neurocore/npz file: member {name!r} is not "
                             "an .npy array")
        try:
            out[name[:-4]] = tensor(parse_npy(data, f"array {name[:-4]!r}"))
        except ValueError as exc:
            raise ValueError(f"nc.load: {os.fspath(path)!r} is damaged: {exc}") from exc
    return out
