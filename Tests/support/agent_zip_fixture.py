#!/usr/bin/env python3
"""An independent implementation of buildkite-agent's cache archive (v2), for interop tests.

Written from the protocol page (../shared/agent-cache-protocol.md, section 2), not from the
Swift code: Python's own zipfile does the zip framing, the `zstandard` package the method-93
data. Python 3.11's zipfile knows no zstd, so method 93 is registered the way Python 3.14 does
it natively: a compressor/decompressor pair chosen by method number.

  agent_zip_fixture.py build OUT.zip ANCHOR:RELATIVE:ABSOLUTE...
      One target per argument: ANCHOR is ~, . or /; RELATIVE the path below the anchor's base
      ("" for the base itself); ABSOLUTE where it is here. Writes the manifest first (Deflate),
      then every target's entries under _i/, sorted; zstd for non-empty files, store for the
      rest; every time 2024-01-01T00:00:00; the UNIX mode in the external attributes.
  agent_zip_fixture.py extract ZIP OUTDIR
      Extracts every entry to OUTDIR/<anchor name>/<path below the base>, anchor names being
      home (~), cwd (.) and root (/); checks the manifest and every CRC; symlinks last.
  agent_zip_fixture.py list ZIP
      Prints one JSON object per entry: name, method, mode, size, date_time, extra (hex).
"""

import json
import os
import stat
import sys
import zipfile

import zstandard

ZIP_ZSTANDARD = 93
MANIFEST = ".buildkite/cache-manifest.json"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
ANCHOR_DIRS = {"~": "home", ".": "cwd", "/": "root"}


class _ZstdDecompressor:
    """The decompressor interface zipfile expects (decompress, eof), over zstandard."""

    def __init__(self):
        self._inner = zstandard.ZstdDecompressor().decompressobj()
        self.eof = False
        self.unused_data = b""

    def decompress(self, data, max_length=-1):
        out = self._inner.decompress(data)
        self.eof = self._inner.eof
        return out


def _register_zstd():
    original_compressor = zipfile._get_compressor
    original_decompressor = zipfile._get_decompressor
    original_check = zipfile._check_compression

    def get_compressor(compress_type, compresslevel=None):
        if compress_type == ZIP_ZSTANDARD:
            return zstandard.ZstdCompressor(level=3).compressobj()
        return original_compressor(compress_type, compresslevel)

    def get_decompressor(compress_type):
        if compress_type == ZIP_ZSTANDARD:
            return _ZstdDecompressor()
        return original_decompressor(compress_type)

    def check(compression):
        if compression != ZIP_ZSTANDARD:
            original_check(compression)

    zipfile._get_compressor = get_compressor
    zipfile._get_decompressor = get_decompressor
    zipfile._check_compression = check
    zipfile.compressor_names[ZIP_ZSTANDARD] = "zstd"


_register_zstd()


def _info(name, mode, compress_type):
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.create_system = 3
    info.external_attr = (mode & 0xFFFF) << 16
    if stat.S_ISDIR(mode):
        info.external_attr |= 0x10
    info.compress_type = compress_type
    return info


def _walk(path, name, out, is_base):
    st = os.stat(path) if is_base else os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        out.writestr(_info(name + "/", st.st_mode, zipfile.ZIP_STORED), b"")
        for child in sorted(os.listdir(path), key=os.fsencode):
            _walk(os.path.join(path, child), name + "/" + child, out, False)
    elif stat.S_ISLNK(st.st_mode):
        out.writestr(_info(name, st.st_mode, zipfile.ZIP_STORED), os.fsencode(os.readlink(path)))
    elif stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            data = f.read()
        method = ZIP_ZSTANDARD if data else zipfile.ZIP_STORED
        out.writestr(_info(name, st.st_mode, method), data)
    # sockets, FIFOs and devices are skipped, as the agent does


def build(out_path, targets):
    mappings = {}
    parsed = []
    for index, spec in enumerate(targets):
        anchor, relative, absolute = spec.split(":", 2)
        if anchor not in ANCHOR_DIRS:
            raise SystemExit(f"unknown anchor {anchor!r}")
        mappings[f"_{index}"] = anchor
        parsed.append((f"_{index}", relative, absolute))
    with zipfile.ZipFile(out_path, "w") as out:
        manifest = json.dumps({"version": 2, "mappings": mappings}, separators=(",", ":"), sort_keys=True)
        out.writestr(_info(MANIFEST, 0o100644, zipfile.ZIP_DEFLATED), manifest.encode())
        for namespace, relative, absolute in parsed:
            name = namespace + ("/" + relative if relative else "")
            _walk(absolute, name, out, relative == "")


def extract(zip_path, out_dir):
    with zipfile.ZipFile(zip_path) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        if manifest.get("version") != 2:
            raise SystemExit(f"manifest version {manifest.get('version')}")
        mappings = manifest["mappings"]
        for anchor in mappings.values():
            if anchor not in ANCHOR_DIRS:
                raise SystemExit(f"unrecognized anchor {anchor!r}")
        links = []
        directories = []
        for info in archive.infolist():
            if info.filename == MANIFEST:
                continue
            namespace, _, rest = info.filename.partition("/")
            if namespace not in mappings:
                continue
            parts = [p for p in rest.split("/") if p not in ("", ".")]
            if ".." in parts:
                raise SystemExit(f"entry {info.filename!r} escapes its anchor")
            dest = os.path.join(out_dir, ANCHOR_DIRS[mappings[namespace]], *parts)
            mode = info.external_attr >> 16
            data = archive.read(info)  # checks the CRC
            if info.filename.endswith("/") or stat.S_ISDIR(mode):
                os.makedirs(dest, exist_ok=True)
                directories.append((dest, stat.S_IMODE(mode) or 0o755))
            elif stat.S_ISLNK(mode):
                links.append((dest, os.fsdecode(data)))
            else:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(data)
                os.chmod(dest, stat.S_IMODE(mode) or 0o644)
        for dest, target in links:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            os.symlink(target, dest)
        for dest, mode in sorted(directories, key=lambda d: -len(d[0])):
            os.chmod(dest, mode)


def list_entries(zip_path):
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            print(json.dumps({
                "name": info.filename,
                "method": info.compress_type,
                "mode": info.external_attr >> 16,
                "size": info.file_size,
                "date_time": list(info.date_time),
                "create_system": info.create_system,
                "extra": info.extra.hex(),
            }))


def main(argv):
    if len(argv) >= 3 and argv[1] == "build":
        build(argv[2], argv[3:])
    elif len(argv) == 4 and argv[1] == "extract":
        extract(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "list":
        list_entries(argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
