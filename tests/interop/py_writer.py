"""Python producer: creates framed region NAME and publishes each BMP file once, in order.
Exits with status 3, saying why, when another process is the region's writer."""
import sys

from shmbmp_region import Writer, WriterRunning

name, files = sys.argv[1], sys.argv[2:]
frames = [open(f, "rb").read() for f in files]
try:
    w = Writer(name, 3, max(len(f) for f in frames))
except WriterRunning as e:
    sys.exit(print(e, file=sys.stderr) or 3)
for f in frames:
    w.publish(f)
w.close()
print(f"published {len(frames)} frames")
