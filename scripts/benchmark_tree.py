#!/usr/bin/env python3
"""Writes the tree scripts/benchmark measures: a node_modules-like directory of many small
source files plus a few large files, the same bytes for the same arguments (seeded), so runs on
different days and machines compare.

Small files are JavaScript-looking lines built from templates and a large identifier vocabulary,
so they compress roughly like real dependency trees (about 3-5x with zstd -3) instead of the
100x that repeated text would give or the 1x of random bytes. Sizes are log-uniform between the
bounds, which, like a real node_modules, makes most files small. Each large file is half such
text and half random bytes, so the archiver meets both a compressible and an incompressible
stream. A few relative symlinks (like node_modules/.bin) and executable files are included,
because restoring those is part of what a cache has to get right.

Usage: benchmark_tree.py DEST --files N --large N --large-size MIB [--seed S]
Prints one line: "<regular files> <symlinks> <directories> <content bytes>".
"""

import argparse
import math
import os
import random
import sys

SYLLABLES = ["ab", "ac", "al", "an", "ar", "as", "be", "bo", "ca", "ce", "co", "da", "de", "di",
             "do", "el", "en", "er", "es", "fa", "fi", "fo", "ga", "ge", "ha", "he", "in", "is",
             "ja", "ka", "la", "le", "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "no", "nu",
             "ob", "on", "or", "pa", "pe", "po", "qu", "ra", "re", "ri", "ro", "sa", "se", "si",
             "so", "ta", "te", "ti", "to", "un", "ur", "va", "ve", "vi", "wa", "xe", "yo", "za"]

WORDS = ["the", "value", "of", "is", "returns", "a", "an", "when", "callback", "options", "object",
         "string", "if", "not", "provided", "default", "to", "for", "with", "this", "function",
         "array", "number", "promise", "resolves", "error", "thrown", "see", "deprecated", "use",
         "instead", "internal", "private", "module", "export", "license", "MIT", "copyright"]

MODULES = ["fs", "path", "util", "events", "stream", "crypto", "os", "url", "assert", "buffer",
           "child_process", "http", "https", "zlib", "readline", "tty", "net"]

# One template per kind of line; {i} is indentation, the rest are filled from the vocabulary.
TEMPLATES = [
    "{i}const {a} = require('{m}');",
    "{i}const {a} = require('./{b}/{c}');",
    "{i}function {a}({b}, {c}) {{",
    "{i}  return {a}.{b}({c}, {n});",
    "{i}}}",
    "{i}// {w0} {w1} {w2} {w3} {w4}",
    "{i}if ({a} === {n}) {{ {b}.{c} = '{w0}'; }}",
    "{i}{a}.prototype.{b} = function ({c}) {{ return this.{d}; }};",
    "{i}var {a} = {b} && {b}.{c} || {{}};",
    "{i}module.exports.{a} = {b};",
    "{i}for (let i = 0; i < {a}.length; i++) {{ {b}.push({a}[i] * {n}); }}",
    "{i}throw new TypeError('{w0} {w1} {a} {w2} ' + typeof {b});",
    "{i}export default class {A} extends {B} {{",
    "{i}  {a}: '{h}',",
    "{i}/** @param {{{A}}} {a} {w0} {w1} {w2} */",
    "",
]


def identifiers(rng, count):
    """camelCase names from syllables: varied enough that the compressor cannot just learn them."""
    names = set()
    while len(names) < count:
        parts = rng.choices(SYLLABLES, k=rng.randint(2, 5))
        name = parts[0] + "".join(p.capitalize() for p in parts[1:])
        names.add(name)
    return sorted(names)


class TextSource:
    def __init__(self, rng):
        self.rng = rng
        self.names = identifiers(rng, 30000)
        self.classes = [n[0].upper() + n[1:] for n in self.names[:3000]]

    def text(self, size):
        """About `size` bytes of source-like text (trimmed to exactly `size`)."""
        rng = self.rng
        names, classes = self.names, self.classes
        out = []
        total = 0
        # Draw in bulk (C speed) and format per line: the per-line cost dominates.
        batch = max(16, size // 40)
        while total < size:
            templates = rng.choices(TEMPLATES, k=batch)
            picks = rng.choices(names, k=batch * 4)
            caps = rng.choices(classes, k=batch * 2)
            words = rng.choices(WORDS, k=batch * 5)
            mods = rng.choices(MODULES, k=batch)
            for j, template in enumerate(templates):
                if total >= size:
                    break
                line = template.format(
                    i="  " * (j % 4), a=picks[4 * j], b=picks[4 * j + 1], c=picks[4 * j + 2], d=picks[4 * j + 3],
                    A=caps[2 * j], B=caps[2 * j + 1], m=mods[j], n=rng.randrange(100000),
                    h="%08x" % rng.getrandbits(32), w0=words[5 * j], w1=words[5 * j + 1],
                    w2=words[5 * j + 2], w3=words[5 * j + 3], w4=words[5 * j + 4])
                out.append(line)
                total += len(line) + 1
        data = ("\n".join(out) + "\n").encode()
        return data[:size]


def small_sizes(rng, count, low, high):
    """Log-uniform sizes: most files are small, as in a real dependency tree."""
    lo, hi = math.log(low), math.log(high)
    return [int(math.exp(rng.uniform(lo, hi))) for _ in range(count)]


def write_file(path, data, executable=False):
    with open(path, "wb") as handle:
        handle.write(data)
    if executable:
        os.chmod(path, 0o755)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", help="directory to create (must not exist)")
    parser.add_argument("--files", type=int, default=40000)
    parser.add_argument("--large", type=int, default=4)
    parser.add_argument("--large-size", type=float, default=64, help="MiB per large file")
    parser.add_argument("--min-size", type=int, default=512)
    parser.add_argument("--max-size", type=int, default=8192)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    if os.path.lexists(args.dest):
        sys.exit(f"benchmark_tree.py: {args.dest} already exists; give a path that does not, so nothing is overwritten")
    rng = random.Random(args.seed)
    source = TextSource(rng)
    os.makedirs(args.dest)
    regular = symlinks = directories = content = 0

    # Packages of 5..200 files each, spread over a few nested folders.
    remaining = args.files
    package_number = 0
    sizes = small_sizes(rng, args.files, args.min_size, args.max_size)
    bin_dir = os.path.join(args.dest, ".bin")
    os.makedirs(bin_dir)
    directories += 1
    while remaining > 0:
        in_package = min(remaining, rng.randint(5, 200))
        package = f"{rng.choice(source.names).lower()}-{package_number}"
        package_number += 1
        folders = ["", "lib", "lib/internal", "dist", "src/utils"][: rng.randint(1, 5)]
        for folder in folders:
            os.makedirs(os.path.join(args.dest, package, folder), exist_ok=True)
            directories += 1
        for k in range(in_package):
            folder = folders[k % len(folders)]
            name = "package.json" if k == 0 else f"{rng.choice(source.names)}-{k}.js"
            data = source.text(sizes[args.files - remaining + k])
            executable = k == 1 and package_number % 10 == 0
            path = os.path.join(args.dest, package, folder, name)
            write_file(path, data, executable)
            regular += 1
            content += len(data)
            if executable:
                link = os.path.join(bin_dir, package)
                os.symlink(os.path.relpath(path, bin_dir), link)
                symlinks += 1
        remaining -= in_package

    if args.large:
        large_dir = os.path.join(args.dest, "large")
        os.makedirs(large_dir)
        directories += 1
        size = int(args.large_size * 1024 * 1024)
        chunk = 1 << 20
        for n in range(args.large):
            text_part = size // 2
            # Written a MiB at a time: large files of several GiB must not need that much memory.
            with open(os.path.join(large_dir, f"blob-{n}.bin"), "wb") as handle:
                offset = 0
                while offset < size:
                    if offset < text_part:
                        length = min(chunk, text_part - offset)
                        handle.write(source.text(length))
                    else:
                        length = min(chunk, size - offset)
                        handle.write(rng.randbytes(length))
                    offset += length
            regular += 1
            content += size

    print(regular, symlinks, directories, content)


if __name__ == "__main__":
    main()
