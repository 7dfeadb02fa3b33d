#!/usr/bin/env python3
"""fake_devd.py SOCKET MODE [STORM_MS] - a misbehaving irqdev backend for the
trust-boundary tests (tests/integration/hostile_backend.sh, msi_storm.sh).
It speaks nexit's backend protocol (passthrough/passthrough.h, version 3)
far enough to be accepted (SETUP -> READY), then misbehaves as MODE says:

  silent   takes WORK and never answers (a hung backend)
  garbage  answers WORK with bytes that are no message
  fdflood  answers WORK with a DONE carrying 30 memfds named "fdflood"
  early    sends a DONE nobody asked for, right after READY
  big      answers WORK with a 64 KiB message
  good     answers WORK correctly (n! mod 2^32), as nexit-devd does
  storm    answers WORK correctly; the first WORK that asks for the MSI
           starts an MSI storm: the irqfd written as fast as it goes for
           STORM_MS (1500) ms, each raise counted on nexit's counter page
           (an honest but broken device); then it behaves as good. First
           it tries to shrink the counter page under nexit's mapping
           (a SIGBUS in nexit if it could) and prints whether it could

It exits when nexit hangs up, or after 60 s."""
import array, math, mmap, os, socket, struct, sys, time
from fake_peer import accept_one

HDR = struct.Struct("<IIII")	# type, size, nfds, version
VERSION, SETUP, READY, WORK, DONE = 3, 1, 2, 3, 4

def msg(t, payload=b"", nfds=0):
	return HDR.pack(t, len(payload), nfds, VERSION) + payload

def main():
	path, mode = sys.argv[1], sys.argv[2]
	s = accept_one(path, socket.SOCK_SEQPACKET, 60)
	data, anc, _, _ = s.recvmsg(1024, socket.CMSG_SPACE(64 * 4))
	fds = [fd for _, _, raw in anc for fd in array.array("i", raw[: len(raw) - len(raw) % 4])]
	msi, page = (fds[0], mmap.mmap(fds[1], 4096)) if mode == "storm" and len(fds) == 2 else (-1, None)
	if page:
		try:
			os.ftruncate(fds[1], 0)
			print("fake_devd: counter page shrunk", file=sys.stderr, flush=True)
		except OSError as e:
			print("fake_devd: counter page shrink refused (%s)" % e.strerror, file=sys.stderr, flush=True)
	for fd in fds:
		if fd != msi:
			os.close(fd)
	stormed = False
	t = HDR.unpack_from(data)[0]
	if t != SETUP:
		sys.exit("fake_devd: expected SETUP, got type %d" % t)
	s.send(msg(READY, struct.pack("<ii128s", 0, os.getpid(), b"")))
	if mode == "early":
		s.send(msg(DONE, struct.pack("<IIII", 1, 1, 0, 0)))
	while True:
		data = s.recv(1024)
		if not data:
			return
		t, size, nfds, ver = HDR.unpack_from(data)
		if t != WORK:
			continue
		seq, n, raise_msi, _ = struct.unpack_from("<IIII", data, HDR.size)
		print("fake_devd: WORK seq=%d n=%d" % (seq, n), file=sys.stderr, flush=True)
		if mode == "silent":
			continue
		if mode == "garbage":
			s.send(b"\xde\xad\xbe\xef" * 3)
		elif mode == "big":
			s.send(msg(DONE, b"\0" * 65536))
		elif mode == "fdflood":
			fds = [os.memfd_create("fdflood") for _ in range(30)]
			s.sendmsg([msg(DONE, struct.pack("<IIII", seq, 0, 0, 0), len(fds))],
				  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
			for fd in fds:
				os.close(fd)
		else:
			v = math.factorial(min(n, 34)) % 2**32
			s.send(msg(DONE, struct.pack("<IIII", seq, v, 1 if raise_msi and page else 0, 0)))
			if raise_msi and page and not stormed:
				stormed = True
				storm(msi, page, int(sys.argv[3]) if len(sys.argv) > 3 else 1500)

def storm(msi, page, ms):
	"""Raises the MSI as fast as Python goes for ms, counting each raise
	where nexit's storm guard reads it (struct nx_devd_counters)."""
	one, count = struct.pack("<Q", 1), struct.unpack_from("<Q", page, 0)[0]
	end = time.monotonic() + ms / 1000
	while time.monotonic() < end:
		for _ in range(100):
			os.write(msi, one)
		count += 100
		struct.pack_into("<Q", page, 0, count)
	print("fake_devd: storm of %d MSIs over %d ms" % (count, ms), file=sys.stderr, flush=True)

if __name__ == "__main__":
	main()
