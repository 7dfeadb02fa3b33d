#!/usr/bin/env python3
"""fake_vhost_user.py SOCKET MODE - a vhost-user backend (QEMU's
docs/interop/vhost-user.rst, the subset nexit speaks) that accepts nexit
and then misbehaves, for tests/integration/hostile_vhost.sh:

  hang     answers GET_FEATURES, takes every other message, never answers
           GET_VRING_BASE (a backend wedged while the guest resets)
  stopped  answers GET_FEATURES, then SIGSTOPs itself (the test SIGCONTs
           or kills it)
  good     answers GET_FEATURES and GET_VRING_BASE

Every request is logged to stderr as "fake_vhost_user: NAME". It exits when
nexit hangs up, or after 120 s."""
import os, signal, socket, struct, sys
from fake_peer import accept_one, close_fds

HDR = struct.Struct("<III")	# request, flags, size
REPLY = 1 | (1 << 2)		# version 1, reply
NAMES = {1: "GET_FEATURES", 2: "SET_FEATURES", 3: "SET_OWNER", 5: "SET_MEM_TABLE",
	 8: "SET_VRING_NUM", 9: "SET_VRING_ADDR", 10: "SET_VRING_BASE",
	 11: "GET_VRING_BASE", 12: "SET_VRING_KICK", 13: "SET_VRING_CALL"}
VERSION_1 = 1 << 32

class Stream:
	"""vhost-user is a byte stream: messages may arrive split or together."""
	def __init__(self, s):
		self.s, self.buf = s, b""

	def _fill(self):
		data, anc, _, _ = self.s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
		close_fds(anc)
		self.buf += data
		return bool(data)

	def msg(self):
		while len(self.buf) < HDR.size or len(self.buf) < HDR.size + HDR.unpack_from(self.buf)[2]:
			if not self._fill():
				return None, b""
		req, flags, size = HDR.unpack_from(self.buf)
		payload = self.buf[HDR.size:HDR.size + size]
		self.buf = self.buf[HDR.size + size:]
		return req, payload

def main():
	path, mode = sys.argv[1], sys.argv[2]
	s = accept_one(path, socket.SOCK_STREAM, 120)
	st = Stream(s)
	while True:
		req, payload = st.msg()
		if req is None:
			return
		print("fake_vhost_user: %s" % NAMES.get(req, req), file=sys.stderr, flush=True)
		if req == 1:
			s.send(HDR.pack(1, REPLY, 8) + struct.pack("<Q", VERSION_1))
			if mode == "stopped":
				os.kill(os.getpid(), signal.SIGSTOP)
		elif req == 11 and mode != "hang":
			idx = struct.unpack_from("<I", payload)[0]
			s.send(HDR.pack(11, REPLY, 8) + struct.pack("<II", idx, 0))

if __name__ == "__main__":
	main()
