#!/usr/bin/env python3
"""Writes mixed.txt, the 4.3 MB character text of docs/quality.md ("The text's size"), from the
shared corpora: tiny-shakespeare's first 95% (its last 5% is its own validation text), WikiText-2
test and valid and PTB test and valid, each cut into 400 slices of whole lines and interleaved
slice by slice, so that the last 5% a run holds out mixes all five. The corpora are not ours to
ship, so the output goes outside the repository:

    python3 corpora/make_mixed.py ../shared/corpora /tmp/mixed.txt
"""

import sys

SOURCES = ["tinyshakespeare/input.txt", "wikitext-2/test.txt", "wikitext-2/valid.txt",
           "ptb/ptb.test.txt", "ptb/ptb.valid.txt"]
SLICES = 400


def main(shared, out):
    texts = [open(f"{shared}/{name}", encoding="utf-8").read().splitlines(keepends=True) for name in SOURCES]
    texts[0] = texts[0][:int(len(texts[0]) * 0.95)]
    lines = []
    for i in range(SLICES):
        for text in texts:
            lines += text[len(text) * i // SLICES:len(text) * (i + 1) // SLICES]
    with open(out, "w", encoding="utf-8") as f:
        f.write("".join(lines))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_mixed.py SHARED_CORPORA_FOLDER OUT_FILE")
    main(sys.argv[1], sys.argv[2])
