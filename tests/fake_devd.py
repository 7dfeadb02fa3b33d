#!/usr/bin/env python3
"""fake_devd.py SOCKET MODE - a misbehaving irqdev backend for the trust-
boundary tests (tests/integration/hostile_backend.sh). It speaks nexit's
backend protocol (passthrough/passthrough.h, version 2) far enough to be
accepted (SETUP -> READY), then misbehaves as MODE says:

  silent   takes WORK and never answers (a hung backend)
  garbage  answers WORK with bytes that are no message
  fdflood  answers WORK with a DONE carrying 30 memfds named "fdflood"
  early    sends a DONE nobody asked for, right after READY
  big      answers WORK with a 64 KiB message
  good     answers WORK correctly (n! mod 2^32), as nexit-devd does

It exits when nexit hangs up, or after 60 s."""
import array, math, os, socket, struct, sys
from fake_peer import accept_one, close_fds

HDR = struct.Struct("<IIII")	# type, size, nfds, version
VERSION, SETUP, READY, WORK, DONE = 2, 1, 2, 3, 4

def msg(t, payload=b"", nfds=0):
	return HDR.pack(t, len(payload), nfds, VERSION) + payload

def main():
	path, mode = sys.argv[1], sys.argv[2]
	s = accept_one(path, socket.SOCK_SEQPACKET, 60)
	data, anc, _, _ = s.recvmsg(1024, socket.CMSG_SPACE(64 * 4))
	close_fds(anc)		# the MSI irqfd: not needed here
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
			s.send(msg(DONE, struct.pack("<IIII", seq, v, 0, 0)))

if __name__ == "__main__":
	main()
