#!/usr/bin/env python3
"""Write the layer_tar seed corpus: small layers, ordinary and hostile.

    make-layer-seeds.py OUTDIR

The last byte of an input chooses how the harness applies it (bit 0:
overlay mode, else flattened; bit 1: an ACI, members under rootfs/); tar
seeds end with one such byte after the archive's end.
Ordinary layers have directories, files, links, whiteouts, an opaque
directory and xattrs; hostile ones try to leave the tree (.., absolute
names, a symlink or hardlink to ../outside followed by a write through it),
the ways a real attack would start. Each is written plain and gzipped; a
zstd copy is made when the zstd program is installed. Deterministic: every
mtime is the same.
"""

import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile

MTIME = 1700000000


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, target="", pax=None):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = MTIME
    info.linkname = target
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if pax:
        info.pax_headers = pax
    return info, data


LAYERS = {
    "plain": [
        entry("etc/", tarfile.DIRTYPE, mode=0o755),
        entry("etc/hostname", data=b"berth\n"),
        entry("bin/", tarfile.DIRTYPE, mode=0o755),
        entry("bin/sh", data=b"#!busybox\n", mode=0o4755),
        entry("bin/ls", tarfile.SYMTYPE, target="sh"),
        entry("bin/cat", tarfile.LNKTYPE, target="bin/sh"),
        entry("ro/", tarfile.DIRTYPE, mode=0o555),
        entry("ro/file", data=b"x"),
        entry("fifo", tarfile.FIFOTYPE),
    ],
    "whiteouts": [
        entry("etc/", tarfile.DIRTYPE, mode=0o755),
        entry("etc/.wh.hostname"),
        entry("var/", tarfile.DIRTYPE, mode=0o755),
        entry("var/.wh..wh..opq"),
        entry("var/new", data=b"new\n"),
    ],
    "xattrs": [
        entry("f", data=b"x", pax={"SCHILY.xattr.user.k": "v",
                                   "SCHILY.xattr.security.capability": "\x01"}),
        entry("long/" + "d" * 120 + "/file", data=b"y"),
    ],
    "aci": [
        entry("manifest", data=b'{"acKind":"ImageManifest","acVersion":"0.8.11","name":"x"}'),
        entry("rootfs/", tarfile.DIRTYPE, mode=0o755),
        entry("rootfs/bin/", tarfile.DIRTYPE, mode=0o755),
        entry("rootfs/bin/sh", data=b"sh"),
    ],
    "dotdot": [entry("../outside/sentinel", data=b"escaped\n")],
    "absolute": [entry("/tmp/escaped", data=b"escaped\n")],
    "symlink-out": [
        entry("link", tarfile.SYMTYPE, target="../outside"),
        entry("link/sentinel", data=b"escaped\n"),
    ],
    "symlink-abs": [
        entry("link", tarfile.SYMTYPE, target="/"),
        entry("link/tmp/escaped", data=b"escaped\n"),
    ],
    "hardlink-out": [
        entry("link", tarfile.LNKTYPE, target="../outside/sentinel"),
        entry("link", data=b"escaped\n"),
    ],
    "whiteout-out": [
        entry("link", tarfile.SYMTYPE, target="../outside"),
        entry("link/.wh.sentinel"),
        entry(".wh..."),
    ],
    "dir-over-symlink": [
        entry("d", tarfile.SYMTYPE, target=".."),
        entry("d/", tarfile.DIRTYPE, mode=0o777),
        entry("d/outside/", tarfile.DIRTYPE, mode=0o777),
    ],
}


def tar_bytes(entries, fmt):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    raw = out.getvalue()
    # Keep the two zero blocks that end a tar, not the record's padding: a
    # short seed leaves the fuzzer's length budget to the entries.
    end = len(raw.rstrip(b"\0"))
    end = (end + 511) // 512 * 512
    return raw[:end] + b"\0" * 1024


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    have_zstd = shutil.which("zstd") is not None
    for name, entries in LAYERS.items():
        fmt = tarfile.PAX_FORMAT if name == "xattrs" else tarfile.GNU_FORMAT
        raw = tar_bytes(entries, fmt)
        modes = {"aci": [2, 3], "plain": [0, 1], "whiteouts": [0, 1], "whiteout-out": [0, 1]}
        for mode in modes.get(name, [0]):
            suffix = "" if mode == 0 else "-mode%d" % mode
            with open(os.path.join(outdir, name + suffix + ".tar"), "wb") as f:
                f.write(raw + bytes([mode]))
        with open(os.path.join(outdir, name + ".tar.gz"), "wb") as f:
            f.write(gzip.compress(raw, mtime=0))
        if have_zstd and name in ("plain", "symlink-out"):
            z = subprocess.run(["zstd", "-q", "-c", "-19"], input=raw, capture_output=True,
                               check=True).stdout
            with open(os.path.join(outdir, name + ".tar.zst"), "wb") as f:
                f.write(z)


main()
