#!/usr/bin/env python3
# fsync-probe.py DIR SECONDS RATE: write 16 KiB and fdatasync it RATE times a second in a 16 MiB file
# reused from its start (as SQLite reuses its WAL), and print the latency distribution: the floor of
# a durable commit on the disk holding DIR (docs/performance.md, "Where the open loop's tail comes from").
import os, sys, time
d, secs, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
path = os.path.join(d, "probe.bin"); fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
os.write(fd, b"\0" * (16 << 20)); os.fsync(fd)
buf = os.urandom(16384); lat = []; off = 0; t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < secs:
    due = t0 + n / rate
    w = due - time.monotonic()
    if w > 0: time.sleep(w)
    s = time.monotonic(); os.pwrite(fd, buf, off); os.fdatasync(fd); lat.append((time.monotonic() - s) * 1000)
    off = (off + 16384) % (16 << 20); n += 1
os.close(fd); os.unlink(path)
lat.sort(); q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"n={len(lat)} p50={q(.5):.2f} p90={q(.9):.2f} p99={q(.99):.2f} p99.9={q(.999):.2f} max={lat[-1]:.1f} ms; >10 ms: {sum(x > 10 for x in lat)}, >20 ms: {sum(x > 20 for x in lat)}")
