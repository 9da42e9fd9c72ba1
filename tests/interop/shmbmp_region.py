"""The shmbmp framed-region protocol (PROTOCOL.md) in plain Python: open() + mmap on /dev/shm/NAME.

Writer and reader follow the seqlock rules. Python has no atomic operations; this relies on
x86-64 ordering stores in program order (TSO) and on aligned 8-byte struct writes not tearing,
which CPython's mmap slice assignment of 8 bytes does in one memcpy. On weaker memory models a
peer needs real barriers.
"""
import mmap
import os
import struct
import time

MAGIC = b"SHMBMP01"
HEADER = 64


def _u64(m, off):
    return struct.unpack_from("<Q", m, off)[0]


def _put_u64(m, off, v):
    struct.pack_into("<Q", m, off, v)


class Writer:
    def __init__(self, name, slots, capacity):
        capacity = (capacity + 7) // 8 * 8
        self.slots, self.capacity = slots, capacity
        size = HEADER + slots * (HEADER + capacity)
        fd = os.open(f"/dev/shm/{name}", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, size)
            self.m = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self.m[0:8] = MAGIC
        struct.pack_into("<II", self.m, 8, slots, 0)
        _put_u64(self.m, 16, capacity)
        _put_u64(self.m, 24, 0)
        self.next = 1

    def publish(self, bmp):
        if len(bmp) > self.capacity:
            raise ValueError(f"frame of {len(bmp)} bytes does not fit a slot of {self.capacity}")
        n = self.next
        at = HEADER + ((n - 1) % self.slots) * (HEADER + self.capacity)
        seq = _u64(self.m, at)
        begin = seq + 1 if seq % 2 == 0 else seq + 2
        _put_u64(self.m, at, begin)  # odd: being written
        self.m[at + HEADER: at + HEADER + len(bmp)] = bmp
        _put_u64(self.m, at + 16, len(bmp))
        _put_u64(self.m, at + 8, n)
        _put_u64(self.m, at + 24, time.time_ns())
        _put_u64(self.m, at, begin + 1)  # even: stable
        _put_u64(self.m, 24, n)  # latest
        self.next = n + 1
        return n


class Reader:
    def __init__(self, name):
        fd = os.open(f"/dev/shm/{name}", os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            self.m = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
        if size < HEADER or self.m[0:8] != MAGIC:
            raise ValueError("not a shmbmp framed region")
        self.slots, _ = struct.unpack_from("<II", self.m, 8)
        self.capacity = _u64(self.m, 16)
        if self.slots < 1 or size < HEADER + self.slots * (HEADER + self.capacity):
            raise ValueError("region smaller than its header says")
        self.torn = 0

    def latest(self, attempts=10000):
        """Bytes of the newest whole frame and its number, following the seqlock rules."""
        for _ in range(attempts):
            n = _u64(self.m, 24)
            if n == 0:
                raise LookupError("no frame published yet")
            at = HEADER + ((n - 1) % self.slots) * (HEADER + self.capacity)
            s1 = _u64(self.m, at)
            if s1 % 2:
                self.torn += 1
                continue
            frame, length = _u64(self.m, at + 8), _u64(self.m, at + 16)
            if frame != n or length > self.capacity:
                self.torn += 1
                continue
            data = bytes(self.m[at + HEADER: at + HEADER + length])
            if _u64(self.m, at) != s1:
                self.torn += 1
                continue
            return n, data
        raise TimeoutError("frame kept changing while being read")
