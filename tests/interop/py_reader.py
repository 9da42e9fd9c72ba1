"""Python consumer: reads the newest whole frame of framed region NAME, decodes it with
cv2.imdecode and writes its pixels as raw RGB bytes to OUT."""
import sys

import cv2
import numpy as np

from shmbmp_region import Reader

name, out = sys.argv[1], sys.argv[2]
try:
    r = Reader(name)
except ValueError as e:
    sys.exit(f"/dev/shm/{name}: {e}")
n, bmp = r.latest()
img = cv2.imdecode(np.frombuffer(bmp, np.uint8), cv2.IMREAD_COLOR)
if img is None:
    sys.exit(f"cv2.imdecode could not decode frame {n}")
rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
open(out, "wb").write(rgb.tobytes())
print(f"frame {n} {rgb.shape[1]}x{rgb.shape[0]} torn attempts {r.torn}")
