"""No Swift toolchain on Linux CI: check instead that the generated Swift was generated from
*this* library and fits the generated C module. Calls, through ctypes on the .so, the
contract-version function and every uniffi checksum function the Swift compares at load time,
and checks that the Swift imports the module the modulemap declares.

usage: python3 tests/swift_checksums.py out/swift/Sources/TrellisCore.swift \
           target/debug/libtrellis_ffi.so [out/swift/Headers/module.modulemap]
"""
import ctypes
import re
import sys

swift_src, lib_path = sys.argv[1], sys.argv[2]
modulemap = sys.argv[3] if len(sys.argv) > 3 else None
src = open(swift_src).read()
lib = ctypes.CDLL(lib_path)

checks = re.findall(r"\((uniffi_\w+_checksum_\w+)\(\) != (\d+)\)", src)
contract = re.search(r"let bindings_contract_version = (\d+)", src)
contract_fn = re.search(
    r"let scaffolding_contract_version = (ffi_\w+_uniffi_contract_version)\(\)", src)
assert checks and contract and contract_fn, "unexpected Swift bindings layout"

passed = failed = 0


def result(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")


fn = getattr(lib, contract_fn.group(1))
fn.restype = ctypes.c_uint32
result(fn() == int(contract.group(1)),
       f"contract version: swift={contract.group(1)} lib={fn()}")
for name, expected in checks:
    f = getattr(lib, name)  # AttributeError if the symbol is missing
    f.restype = ctypes.c_uint16
    result(f() == int(expected), f"checksum {name}: swift={expected} lib={f()}")
if modulemap:
    declared = re.search(r"module (\w+) \{", open(modulemap).read())
    imported = re.search(r"^import (\w+FFI)$", src, re.M)
    result(declared and imported and declared.group(1) == imported.group(1),
           f"module: modulemap declares {declared and declared.group(1)}, "
           f"Swift imports {imported and imported.group(1)}")
print(f"swift-abi: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
