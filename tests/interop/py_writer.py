"""Python producer: creates framed region NAME and publishes each BMP file once, in order."""
import sys

from shmbmp_region import Writer

name, files = sys.argv[1], sys.argv[2:]
frames = [open(f, "rb").read() for f in files]
w = Writer(name, 3, max(len(f) for f in frames))
for f in frames:
    w.publish(f)
print(f"published {len(frames)} frames")
