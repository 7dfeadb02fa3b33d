#!/usr/bin/env python3
# tests/triple_fault_elf.py FILE: writes a 64-bit ELF guest that triple-faults
# at once (an empty IDT, then int3: #GP -> #DF -> shutdown), for the tests of
# nexit's fatal-guest-error path (bad_input) and of the harness (selftest).
import struct
import sys

code = bytes([0x0f, 0x01, 0x1d, 2, 0, 0, 0,     # lidt [rip+2]: the 10 zero bytes below
              0xeb, 10]) + bytes(10) + bytes([  # jmp over them
              0xcc,                             # int3 with no IDT
              0xf4, 0xeb, 0xfd])                # hlt; jmp back (not reached)
eh = struct.pack('<4sBBBBB7xHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 0, 2, 62, 1,
                 0x100000, 64, 0, 0, 64, 56, 1, 0, 0, 0)
ph = struct.pack('<IIQQQQQQ', 1, 5, 0x1000, 0x100000, 0x100000, len(code), len(code), 0x1000)
with open(sys.argv[1], 'wb') as f:
    f.write(eh + ph + bytes(0x1000 - len(eh) - len(ph)) + code)
