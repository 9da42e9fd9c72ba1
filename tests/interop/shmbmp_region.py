"""The shmbmp framed-region protocol, version 2 (PROTOCOL.md), in plain Python: os.open with
O_NOFOLLOW + mmap on /dev/shm/NAME, and an OFD lock on byte 0 for the one writer.

The writer takes the writer lock, publishes with the seqlock rules, and sets flags = 0: it
neither wakes readers (Rust readers poll it) nor honours leases (Rust readers copy its frames
out). Python has no atomic operations or fences; this relies on x86-64 ordering stores in
program order (TSO) and on aligned 8-byte struct writes not tearing, which CPython's
struct.pack_into into an mmap does in one memcpy. Honouring leases needs a store-load fence,
which CPython cannot give, so this writer does not claim it. On weaker memory models a peer
needs real barriers.
"""
import fcntl
import mmap
import os
import stat
import struct
import time

MAGIC = b"SHMBMP02"
FAMILY = b"SHMBMP0"
REGION_HEADER = 4096
SLOT_HEADER = 64
LATEST_AT, WAKE_AT, FLAGS_AT, PID_AT = 24, 32, 36, 40
SLOT_BITS = 16
# struct flock on x86-64 Linux: l_type, l_whence (short), pad, l_start, l_len (off_t), l_pid, pad.
FLOCK = "hh4xqqi4x"


class WriterRunning(Exception):
    """Another process holds the region's writer lock."""


def _u64(m, off):
    return struct.unpack_from("<Q", m, off)[0]


def _put_u64(m, off, v):
    struct.pack_into("<Q", m, off, v)


def _lock(fd, byte, kind, cmd=fcntl.F_OFD_SETLK):
    return fcntl.fcntl(fd, cmd, struct.pack(FLOCK, kind, os.SEEK_SET, byte, 1, 0))


def writer_alive(fd):
    """Whether another open file description holds the writer lock (byte 0)."""
    got = _lock(fd, 0, fcntl.F_WRLCK, fcntl.F_OFD_GETLK)
    return struct.unpack(FLOCK, got)[0] != fcntl.F_UNLCK


def check_header(m, size):
    """(slot_count, lease_count, capacity) of a version-2 header, or ValueError saying why not."""
    magic = bytes(m[0:8]) if size >= 8 else b""
    if magic != MAGIC and magic.startswith(FAMILY):
        raise ValueError(
            f"region speaks shmbmp protocol {magic.decode('ascii', 'replace')!r}, "
            f"this peer speaks {MAGIC.decode()!r}: run a writer and readers of one version"
        )
    if size < REGION_HEADER:
        raise ValueError(f"region is {size} bytes; its header alone is {REGION_HEADER}")
    if magic != MAGIC:
        raise ValueError(f"not a shmbmp framed region (starts with {magic!r})")
    slots, leases = struct.unpack_from("<II", m, 8)
    capacity = _u64(m, 16)
    if not 1 <= slots <= 1024 or capacity == 0 or capacity % 64:
        raise ValueError("bad region header")
    if size < REGION_HEADER + slots * (SLOT_HEADER + capacity):
        raise ValueError("region smaller than its header says")
    return slots, leases, capacity


class Writer:
    def __init__(self, name, slots, capacity):
        capacity = (capacity + 63) // 64 * 64
        leases = max(0, min(slots - 2, 504))
        self.slots, self.capacity = slots, capacity
        size = REGION_HEADER + slots * (SLOT_HEADER + capacity)
        path = f"/dev/shm/{name}"
        flags = os.O_RDWR | os.O_NOFOLLOW
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            fd = os.open(path, flags)
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o177:
                os.close(fd)
                raise PermissionError(f"refusing to use {path}: not a private file of this user")
        try:
            _lock(fd, 0, fcntl.F_WRLCK)
        except OSError:
            pid = None
            if os.fstat(fd).st_size >= REGION_HEADER:
                with mmap.mmap(fd, REGION_HEADER, prot=mmap.PROT_READ) as m:
                    pid = struct.unpack_from("<I", m, PID_AT)[0] if m[0:8] == MAGIC else None
            os.close(fd)
            raise WriterRunning(f"{path} already has a writer (pid {pid}): one writer per region")
        # The lock lives as long as this descriptor: keep it open.
        self.fd = fd
        existing = os.fstat(fd).st_size
        if existing == 0:
            os.ftruncate(fd, size)
            self.m = mmap.mmap(fd, size)
            struct.pack_into("<IIQ", self.m, 8, slots, leases, capacity)
            self.m[0:8] = MAGIC
            self.next, self.cursor = 1, 0
        else:
            self.m = mmap.mmap(fd, existing)
            if check_header(self.m, existing) != (slots, leases, capacity):
                raise ValueError(f"{path} exists with another geometry")
            latest = _u64(self.m, LATEST_AT)
            self.next = (latest >> SLOT_BITS) + 1
            self.cursor = ((latest & 0xFFFF) + 1) % slots
        struct.pack_into("<II", self.m, FLAGS_AT, 0, os.getpid())  # no WAKES, no LEASES

    def publish(self, bmp):
        if len(bmp) > self.capacity:
            raise ValueError(f"frame of {len(bmp)} bytes does not fit a slot of {self.capacity}")
        n = self.next
        latest = _u64(self.m, LATEST_AT)
        slot = self.cursor
        if self.slots > 1 and latest and slot == latest & 0xFFFF:
            slot = (slot + 1) % self.slots
        at = REGION_HEADER + slot * (SLOT_HEADER + self.capacity)
        seq = _u64(self.m, at)
        begin = seq + 1 if seq % 2 == 0 else seq + 2
        _put_u64(self.m, at, begin)  # odd: being written
        self.m[at + SLOT_HEADER: at + SLOT_HEADER + len(bmp)] = bmp
        _put_u64(self.m, at + 16, len(bmp))
        _put_u64(self.m, at + 8, n)
        _put_u64(self.m, at + 24, time.time_ns())
        _put_u64(self.m, at, begin + 1)  # even: stable
        _put_u64(self.m, LATEST_AT, n << SLOT_BITS | slot)
        self.next, self.cursor = n + 1, (slot + 1) % self.slots
        return n

    def close(self):
        struct.pack_into("<I", self.m, PID_AT, 0)
        self.m.close()
        os.close(self.fd)


class Reader:
    def __init__(self, name):
        fd = os.open(f"/dev/shm/{name}", os.O_RDONLY | os.O_NOFOLLOW)
        try:
            size = os.fstat(fd).st_size
            self.m = mmap.mmap(fd, size, prot=mmap.PROT_READ) if size else b""
        finally:
            os.close(fd)
        self.slots, _, self.capacity = check_header(self.m, size)
        self.torn = 0

    def latest(self, attempts=10000):
        """Bytes of the newest whole frame and its number, following the seqlock rules."""
        for _ in range(attempts):
            word = _u64(self.m, LATEST_AT)
            if word == 0:
                raise LookupError("no frame published yet")
            n, slot = word >> SLOT_BITS, word & 0xFFFF
            if slot >= self.slots:
                raise ValueError(f"latest names slot {slot} of {self.slots}")
            at = REGION_HEADER + slot * (SLOT_HEADER + self.capacity)
            s1 = _u64(self.m, at)
            if s1 % 2:
                self.torn += 1
                continue
            frame, length = _u64(self.m, at + 8), _u64(self.m, at + 16)
            if frame != n or length > self.capacity:
                self.torn += 1
                continue
            data = bytes(self.m[at + SLOT_HEADER: at + SLOT_HEADER + length])
            if _u64(self.m, at) != s1:
                self.torn += 1
                continue
            return n, data
        raise TimeoutError("frame kept changing while being read")
