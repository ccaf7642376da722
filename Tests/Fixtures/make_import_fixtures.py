#!/usr/bin/env python3
"""Writes the fixtures of `quill import`: plain PyTorch RNNModel state dicts, as a PyTorch user
saves them, and what PyTorch computes from them.

Each `import_<level>_<cell>[_tied].safetensors` holds a state dict with no Quill metadata: written
by `safetensors.torch.save_file(model.state_dict())`, or, for the tied models, by
`safetensors.torch.save_model(model)`, which keeps one tensor of the shared encoder/decoder pair.
Its only metadata, `fixture`, is JSON: the level, the cell, the vocabulary (tokens in id order,
built PyTorch-style: first appearance, no specials but <eos> for words), the text, and the mean
cross-entropy PyTorch gives for the text read as one stream from a zero state (what
`quill perplexity --batch 1` measures). ImportTests checks Quill against it to 1e-4 relative.

    .venv/bin/python Tests/Fixtures/make_import_fixtures.py --out Tests/Fixtures
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import save_file, save_model

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "interop", "pytorch"))
import quill  # noqa: E402

TEXT = (
    "The keeper climbed the stair at dusk.\n"
    "He trimmed the wick, wound the clock, and watched the sea.\n"
    "Ships passed; the lamp turned; the keeper wrote his log.\n"
    "At dawn the fog came in, and the horn sang low over the rocks.\n"
)


def vocabulary(level):
    tokens = []
    if level == "char":
        for ch in TEXT:
            if ch not in tokens:
                tokens.append(ch)
    else:
        for line in TEXT.split("\n")[:-1]:
            for word in line.split() + ["<eos>"]:
                if word not in tokens:
                    tokens.append(word)
    return tokens


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    cases = [(level, cell, False) for level in ("char", "word") for cell in ("lstm", "gru", "rnn-tanh", "rnn-relu")]
    cases += [("char", "lstm", True), ("word", "gru", True)]
    for index, (level, cell, tied) in enumerate(cases):
        torch.manual_seed(1000 + index)
        vocab = vocabulary(level)
        hidden = 12
        model = quill.RNNModel(cell, len(vocab), hidden if tied else 8, hidden, 2, tie_weights=tied)
        with torch.no_grad():
            for p in model.parameters():
                p.uniform_(-0.3, 0.3)
        ids = quill.encode(TEXT, vocab, level)
        loss = quill.cross_entropy(model, ids)
        meta = {"fixture": json.dumps({"level": level, "cell": cell, "tied": tied, "vocab": vocab, "text": TEXT,
                                       "tokens": len(ids) - 1, "cross_entropy": loss}, ensure_ascii=False)}
        name = f"import_{level}_{cell.replace('-', '_')}{'_tied' if tied else ''}.safetensors"
        path = os.path.join(args.out, name)
        if tied:
            save_model(model, path, metadata=meta)
        else:
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path, metadata=meta)
        print(f"{name}: {len(ids) - 1} tokens, cross-entropy {loss:.6f}")


if __name__ == "__main__":
    main()
