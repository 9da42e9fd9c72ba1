"""The seed's Python consumer, corrected: maps the raw region NAME with
multiprocessing.shared_memory, takes the length from the BMP's own bfSize ('<I', not 'l',
which is 8 bytes on Linux), decodes with cv2.imdecode and writes raw RGB bytes to OUT."""
import struct
import sys
from multiprocessing import resource_tracker, shared_memory

import cv2
import numpy as np

name, out = sys.argv[1], sys.argv[2]
shm = shared_memory.SharedMemory(name=name)
# Python 3.11 registers every attached segment with the resource tracker, which unlinks it
# when this process exits; the segment belongs to the writer, so unregister it
# (`track=False` does this from Python 3.13 on).
resource_tracker.unregister(shm._name, "shared_memory")
try:
    buf = shm.buf
    if bytes(buf[0:2]) != b"BM":
        sys.exit("not a BMP at offset 0")
    (bf_size,) = struct.unpack_from("<I", buf, 2)
    if bf_size > len(buf):
        sys.exit(f"bfSize {bf_size} exceeds the {len(buf)}-byte segment")
    data = np.frombuffer(bytes(buf[:bf_size]), np.uint8)
    del buf
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    open(out, "wb").write(rgb.tobytes())
    print(f"raw {bf_size} bytes {rgb.shape[1]}x{rgb.shape[0]}")
finally:
    shm.close()
