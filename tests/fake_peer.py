"""fake_peer.py - what the fake backends of the trust-boundary tests share
(tests/fake_devd.py, tests/fake_vhost_user.py): one accepted connection on a
fresh unix socket, and closing the fds a message brought along."""
import array, os, signal, socket

def accept_one(path, kind, seconds):
	"""Listens on path (replacing a stale file), accepts one peer, gives up
	after seconds altogether (SIGALRM)."""
	signal.alarm(seconds)
	if os.path.exists(path):
		os.unlink(path)
	ls = socket.socket(socket.AF_UNIX, kind)
	ls.bind(path)
	ls.listen(1)
	s, _ = ls.accept()
	ls.close()
	os.unlink(path)
	return s

def close_fds(anc):
	"""Closes every fd of a recvmsg's ancillary data."""
	for lvl, typ, raw in anc:
		for fd in array.array("i", raw[: len(raw) - len(raw) % 4]):
			os.close(fd)
