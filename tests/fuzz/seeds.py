#!/usr/bin/env python3
"""seeds.py OUTDIR - small seed corpora for the harnesses of tests/fuzz,
written as OUTDIR/NAME/seed-N: inputs in each harness's own format (see
the comment at the top of each fuzz_*.c) that reach its interesting paths
from the first run: a driver's init sequence, a device's config space,
valid protocol messages, the project's own config files and images."""
import glob, os, struct, sys

out = sys.argv[1]
seeds = {}

def add(name, data):
    seeds.setdefault(name, []).append(bytes(data))

def u8(v): return struct.pack("<B", v & 0xff)
def u16(v): return struct.pack("<H", v & 0xffff)
def u32(v): return struct.pack("<I", v & 0xffffffff)
def u64(v): return struct.pack("<Q", v & 0xffffffffffffffff)
def acc(lenlog, w, val): return u8(lenlog) + u8(w) + u64(val)

# fuzz_pci: op, len, w, value, then the op's own fields.
def cfg_cf8(slot, off, lenlog, w, val):
    return u8(0) + acc(lenlog, w, val) + u32(0x80000000 | slot << 11 | (off & 0xfc)) + u8(off & 3)
s = b""
s += cfg_cf8(1, 0x04, 1, 1, 0x6)                      # memory decode on
s += cfg_cf8(1, 0x10, 2, 1, 0xffffffff)               # BAR0 sizing
s += cfg_cf8(1, 0x10, 2, 0, 0)
s += cfg_cf8(1, 0x10, 2, 1, 0xc8000000)               # move it
s += cfg_cf8(1, 0x42, 1, 1, 0x31)                     # MSI enable, 8 vectors asked
s += u8(2) + acc(2, 1, 0xfee00000) + u32(0x100000)    # BAR window write
add("fuzz_pci", s)
s = cfg_cf8(5, 0x04, 1, 1, 0x7) + u8(5) + acc(1, 1, 0xc000) + u8(5) + u8(0) + u16(0x42)
s += u8(2) + acc(2, 1, 0xfee00000) + u32(0x100000)    # MSI-X entry 0 (BAR2 at 1 MiB)
s += u8(2) + acc(2, 1, 0) + u32(0x10000c)             # unmask it
add("fuzz_pci", s)

# fuzz_vfio_cfg: 256 config bytes, then accesses.
def edu_cfg(msi_at=0x40, msix_at=0):
    c = bytearray(256)
    c[0:4] = b"\x34\x12\xe8\x11"
    c[6] = 0x10
    c[0x34] = msi_at or msix_at
    c[0x3d] = 1
    if msi_at:
        c[msi_at] = 0x05
        c[msi_at + 1] = msix_at
        c[msi_at + 2] = 0x80
    if msix_at:
        c[msix_at] = 0x11
        c[msix_at + 2] = 3
        c[msix_at + 4] = 0
        c[msix_at + 8] = 0
        c[msix_at + 9] = 0x08
    return bytes(c)
va = lambda lenlog, w, val, cfg, off: acc(lenlog, w, val) + u8(cfg) + (u16(off) if cfg else u32(off))
add("fuzz_vfio_cfg", edu_cfg() + va(1, 1, 6, 1, 4) + va(1, 1, 0x81, 1, 0x42) + va(2, 0, 0, 1, 0x44))
add("fuzz_vfio_cfg", edu_cfg(0x40, 0x50) + va(1, 1, 6, 1, 4) + va(1, 1, 0x8000, 1, 0x52) +
    va(2, 1, 0xfee00000, 0, 0))

# fuzz_arm64_pci: 256 config bytes, 6 BAR bytes (0x80 present, 0x40 mmap,
# size 0x100 << (b & 7)), VFIO's 5 IRQ counts (INTx, MSI, MSI-X, ...), then
# accesses: ECAM (slot, register) or MMIO at an offset in the BAR window.
bars = bytes([0x80 | 0x40 | 4, 0, 0, 0, 0, 0])
irqs = bytes([1, 1, 0, 0, 0])
ea = lambda lenlog, w, val, reg: acc(lenlog, w, val) + u8(1) + u8(1) + u16(reg)
ma = lambda lenlog, w, val, off: acc(lenlog, w, val) + u8(0) + u32(off)
add("fuzz_arm64_pci", edu_cfg() + bars + irqs + ea(1, 1, 6, 4) + ea(2, 1, 0x08090040, 0x44) +
    ea(1, 1, 1, 0x42) + ea(1, 1, 0, 0x42) + ea(2, 1, 0xffffffff, 0x10))
add("fuzz_arm64_pci", edu_cfg(0x40, 0x50) + bytes([0x80 | 5, 0, 0, 0, 0, 0]) + bytes([1, 1, 3, 0, 0]) +
    ea(1, 1, 6, 4) + ea(1, 1, 0xc000, 0x52) + ma(2, 1, 0x08090040, 0) + ma(2, 1, 7, 8) +
    ea(1, 1, 0x8000, 0x52) + ma(2, 1, 0, 12) + ma(3, 0, 0, 0x800) + ma(2, 0, 0, 16))

# fuzz_irqchip: op, len, value, op fields.
ir = lambda op, lenlog, val, *f: u8(op) + u8(lenlog) + u64(val) + b"".join(f)
s = ir(0, 2, 0x10, u8(0), u8(1)) + ir(0, 2, 0xa041, u8(0x10), u8(1))   # RTE 0 low: level, vec 0x41
s += ir(2, 0, 0, u8(0)) + ir(3, 0, 0, u8(0x41)) + ir(4, 0, 0, u8(0))
s += ir(6, 0, 0x11, u8(0), u8(1)) + ir(6, 0, 0x20, u8(1), u8(1)) + ir(6, 0, 0x04, u8(1), u8(1))
s += ir(6, 0, 0x01, u8(1), u8(1)) + ir(6, 0, 0x00, u8(1), u8(1)) + ir(7, 0, 0, u8(1), u8(1)) + ir(8, 0, 0)
add("fuzz_irqchip", s)

# fuzz_devd: mode byte (odd: nexit's receiver), then messages.
HDR = lambda t, size, nfds: struct.pack("<IIII", t, size, nfds, 3)	# protocol version 3
def dgram(body, nfds=0):
    return u16(len(body)) + u8(nfds) + body
done = HDR(4, 16, 0) + struct.pack("<IIII", 1, 120, 1, 0)
add("fuzz_devd", u8(1) + dgram(done) + dgram(done, 3) + dgram(b"\x01" * 40) + u8(0) +
    u8(4) + u16(600) + u8(1) + u16(16))
add("fuzz_devd", u8(0) + u8(1) + u8(1) + u32(1) + u32(5) + u8(1) + u8(1) + u32(2) +
    u32(0xffffffff) + u8(0) + u8(0) + dgram(HDR(3, 16, 0) + b"\0" * 16))

# fuzz_vhost_user: script byte, then the backend's stream.
REP = lambda req, payload: struct.pack("<III", req, 1 | 4, len(payload)) + payload
add("fuzz_vhost_user", u8(0b00010000) + REP(1, u64(1 << 32)) + REP(11, struct.pack("<II", 0, 7)))
add("fuzz_vhost_user", u8(0b01011101) + REP(11, struct.pack("<II", 1, 3)) + REP(1, u64(0)))

# fuzz_virtio: op, len, w, value, op fields; a driver's init then a reset.
COMMON = lambda lenlog, val, off: u8(0) + acc(lenlog, 1, val) + u8(off)
st = lambda v: u8(4) + acc(0, 1, 0) + u8(v)
s = st(0) + st(1) + st(3) + COMMON(2, 1, 0x08) + COMMON(2, 1, 0x0c) + st(11)
for q in (0, 1):
    s += COMMON(1, q, 0x16) + COMMON(1, 64, 0x18) + COMMON(1, q, 0x1a)
    s += COMMON(3, 0x10000 + q * 0x2000, 0x20) + COMMON(3, 0x11000 + q * 0x2000, 0x28)
    s += COMMON(3, 0x11800 + q * 0x2000, 0x30) + COMMON(1, 1, 0x1c)
s += st(15) + u8(1) + st(0) + u8(7) + u8(3) + acc(2, 0, 0) + u16(0x2000)
add("fuzz_virtio", s)

# fuzz_irqdev: op, access, op fields (BAR0 offset / config offset).
bar = lambda lenlog, w, val, off: u8(0) + acc(lenlog, w, val) + u16(off)
cfgw = lambda lenlog, val, off: u8(2) + acc(lenlog, 1, val) + u8(off)
add("fuzz_irqdev", bar(2, 0, 0, 0) + bar(2, 1, 0x1234, 4) + bar(2, 0, 0, 4) + u8(3) + acc(2, 1, 5 << 32) +
    bar(2, 1, 1, 0x60) + bar(2, 0, 0, 0x24) + bar(2, 1, 1, 0x64) +
    cfgw(2, 0xfee00000, 0x44) + cfgw(1, 0x41, 0x4c) + cfgw(1, 1, 0x42) + bar(2, 1, 2, 0x60) +
    cfgw(1, 0, 0x42) + cfgw(1, 0x406, 0x04) + bar(2, 1, 4, 0x60))

# fuzz_config: mode 0 config file, 2 profile, 1 one key.
for path in ["guest/appliance/appliance.ini"] + sorted(glob.glob("tune/profiles/*.ini")):
    if os.path.exists(path):
        data = open(path, "rb").read()
        add("fuzz_config", u8(2 if path.startswith("tune/") else 0) + data)
add("fuzz_config", u8(0) + b"[vm]\nmemory = 1G\ncpus = 2\nirqchip = kernel\nsandbox = log\n"
    b"[device \"n\"]\ntype = virtio-net\nbackend = /tmp/s\nopts = mac=52:54:00:00:00:01\n"
    b"[cpuid]\nhide = cx16,xsave\n")
key = lambda s, k, v: u8(1) + s.ljust(63, b"\0") + k.ljust(63, b"\0") + v.ljust(299, b"\0")
add("fuzz_config", key(b"vm", b"memory", b"4G"))
add("fuzz_config", key(b'device "x"', b"type", b"irqdev"))

# fuzz_loaders: mode (bit 0: an initrd of u16 length first), then the kernel.
for path in ["build/guest/probe.elf", "build/guest/probe64.elf"]:
    if os.path.exists(path):
        add("fuzz_loaders", u8(0) + open(path, "rb").read()[:200000])
bz = bytearray(0x400)
bz[0x1fe:0x200] = b"\x55\xaa"
bz[0x202:0x206] = b"HdrS"
bz[0x206:0x208] = u16(0x20f)
bz[0x1f1] = 1
bz[0x211] = 1
add("fuzz_loaders", u8(1) + u16(16) + b"initrd-bytes!!!!" + bytes(bz) + b"\x90" * 512)
eh = bytearray(64)
eh[0:4] = b"\x7fELF"; eh[4] = 2; eh[5] = 1; eh[6] = 1
eh[16:18] = u16(2); eh[18:20] = u16(62); eh[24:32] = u64(0x100000)
eh[32:40] = u64(64); eh[54:56] = u16(56); eh[56:58] = u16(1)
ph = struct.pack("<IIQQQQQQ", 1, 5, 0x78, 0x100000, 0x100000, 8, 8, 0x1000)
add("fuzz_loaders", u8(0) + bytes(eh) + ph + b"\xf4" * 8)

# fuzz_arm64_boot: mode, cpus, 64 bytes cmdline, devices, [initrd len], kernel.
img = bytearray(64)
img[8:16] = u64(0x80000); img[16:24] = u64(0x100000); img[56:60] = b"ARM\x64"
head = u8(1) + u8(2) + b"console=ttyAMA0".ljust(64, b"\0") + u8(1)
add("fuzz_arm64_boot", head + u32(32) + b"\x11" * 32 + bytes(img) + b"\0" * 256)
for path in ["build/arm64/guest/probe.elf"]:
    if os.path.exists(path):
        add("fuzz_arm64_boot", u8(0) + u8(1) + b"".ljust(64, b"\0") + u8(0) +
            open(path, "rb").read()[:200000])
eh2 = bytearray(eh); eh2[18:20] = u16(183); eh2[24:32] = u64(0x40080000)
ph2 = struct.pack("<IIQQQQQQ", 1, 5, 0x78, 0x40080000, 0x40080000, 8, 8, 0x1000)
add("fuzz_arm64_boot", u8(0) + u8(1) + b"".ljust(64, b"\0") + u8(0) + bytes(eh2) + ph2 + b"\0" * 8)

for name, items in seeds.items():
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(items):
        with open(os.path.join(d, "seed-%d" % i), "wb") as fp:
            fp.write(data)
