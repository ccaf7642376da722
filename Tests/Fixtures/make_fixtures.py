#!/usr/bin/env python3
"""PyTorch twin that writes Quill's parity fixtures.

Each fixture is a safetensors file from a model shaped like PyTorch word_language_model's
RNNModel (nn.Embedding "encoder" -> nn.LSTM / nn.GRU / nn.RNN "rnn" -> nn.Linear "decoder"), no
dropout, untied, every parameter U(-0.5, 0.5): its weights, a (T, B) batch of input and target
ids, the initial state, and what PyTorch computes from them: logits, the mean cross-entropy, the
final state, and the gradient of that loss for every parameter and for the initial state. The
format is the one ../shared/fixtures/README.md describes, so Quill's ParityCheck reads both.

With --attention-memory M the model has SHA-RNN's single attention head (the `Attention` module
below, docs/attention.md) after the second-to-last recurrent layer (after the only one of a
one-layer model), and the fixture adds the carried memory: `memory` [M, B, H] (each row's states
right-aligned), `memory_lengths` [B], and the `expected.memory` / `expected.memory_lengths` after
the window.

With --adaptive-cutoffs C1,C2,... the decoder is PyTorch's nn.AdaptiveLogSoftmaxWithLoss (head_bias=True,
--adaptive-div its div_value): the loss is its mean loss, `expected.logits` its log_prob (T, B, V), and its
tensors keep the module's names under `decoder.`; the metadata records the cutoffs and divisor.

Regenerate the fixtures committed beside this script (needs torch and safetensors, e.g. in a venv):

    python3 -m venv .venv && .venv/bin/pip install torch numpy safetensors
    .venv/bin/python Tests/Fixtures/make_fixtures.py --out Tests/Fixtures

or write one fixture of any shape:

    .venv/bin/python Tests/Fixtures/make_fixtures.py --out /tmp --name big --cell lstm \\
        --vocab 50 --embed 16 --hidden 320 --layers 2 --steps 20 --batch 4
"""
import argparse
import math
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file

# Shapes the ../shared fixtures miss, each with the reason it exists.
STANDARD = [
    # H = 300: the recurrent product's k crosses GEMM's 256-deep block, and with two rows W_hh is
    # too large for the row-split time loop, so each step's product is split by columns.
    dict(name="lstm_parity_wide", cell="lstm", vocab=16, embed=8, hidden=300, layers=1, steps=5, batch=2),
    # Batch 1: every recurrent step and the decoder take the one-row (GEMV) path.
    dict(name="lstm_parity_batch1", cell="lstm", vocab=30, embed=10, hidden=40, layers=2, steps=9, batch=1),
    # T·B = 280 rows: the weight gradients' k (T·B) crosses a block; V = 300: so does dY = dLogits·W.
    dict(name="gru_parity_tall", cell="gru", vocab=300, embed=6, hidden=12, layers=2, steps=40, batch=7),
    dict(name="rnn_relu_parity_batch1", cell="rnn-relu", vocab=13, embed=6, hidden=9, layers=2, steps=7, batch=1),
    # Dropout 0.3 with its masks drawn here by seed and saved (dropout.mask0 on the embedding,
    # dropout.mask{k+1} after layer k): Quill applies the same masks, so forward and backward
    # through dropout are checked element by element.
    dict(name="lstm_parity_dropout", cell="lstm", vocab=17, embed=6, hidden=10, layers=2, steps=8, batch=3, dropout=0.3),
]

# Attention fixtures (--attention-only writes just these).
ATTENTION = [
    # M = 10 > T = 6, a carried state and a carried memory of 10, 4 and 0 states: the first row's
    # earliest memory drops out of reach as the window advances, the last row starts afresh.
    dict(name="lstm_attention_parity_memory", cell="lstm", vocab=13, embed=6, hidden=12, layers=2, steps=6, batch=3,
         attention_memory=10, memory_lengths=[10, 4, 0]),
    # One GRU layer (the head sits before the decoder), M = 3 < T = 7, zero state: later positions
    # see only their last three predecessors.
    dict(name="gru_attention_parity_short", cell="gru", vocab=9, embed=5, hidden=8, layers=1, steps=7, batch=2,
         zero_state=True, attention_memory=3),
]

# Adaptive-softmax fixtures (--adaptive-only writes just these). Targets fall in the shortlist and
# every cluster; the weights are larger than the rest so that each cluster's softmax is peaked.
ADAPTIVE = [
    # Two clusters, div 2: projections of 6 and 3 features from H = 12; an LSTM carrying state.
    dict(name="lstm_adaptive_parity_two_clusters", cell="lstm", vocab=23, embed=6, hidden=12, layers=2, steps=6, batch=3,
         adaptive_cutoffs=[5, 11], adaptive_div=2.0),
    # One cluster at PyTorch's default div 4 (H = 16: 4 features); a one-layer GRU from zero state,
    # T·B = 14 rows with a batch of one row per cluster and a few in the shortlist.
    dict(name="gru_adaptive_parity_one_cluster", cell="gru", vocab=40, embed=5, hidden=16, layers=1, steps=7, batch=2,
         zero_state=True, adaptive_cutoffs=[8], adaptive_div=4.0),
]


class Attention(nn.Module):
    """SHA-RNN's single head as Quill defines it: query = LayerNorm(Linear(y)); keys and values are
    the states themselves times sigmoid gates; position i attends to itself and the M states
    before it (memory first, no gradient into it); out = y + softmax(q k^T / sqrt(H)) v."""

    def __init__(self, hidden, memory):
        super().__init__()
        self.query = nn.Linear(hidden, hidden)
        self.query_norm = nn.LayerNorm(hidden)
        self.key_gate = nn.Parameter(torch.zeros(hidden))
        self.value_gate = nn.Parameter(torch.zeros(hidden))
        self.memory = memory

    def forward(self, y, memory, lengths):
        steps, batch, hidden = y.shape
        q = self.query_norm(self.query(y))
        out, kept_memory, kept_lengths = [], torch.zeros_like(memory), []
        for b in range(batch):
            n = int(lengths[b])
            states = torch.cat([memory[self.memory - n:, b].detach(), y[:, b]])
            keys, values = states * torch.sigmoid(self.key_gate), states * torch.sigmoid(self.value_gate)
            scores = q[:, b] @ keys.T / math.sqrt(hidden)
            i = torch.arange(steps)[:, None] + n
            j = torch.arange(n + steps)[None, :]
            scores = scores.masked_fill((j > i) | (j < i - self.memory), float("-inf"))
            out.append(torch.softmax(scores, dim=-1) @ values)
            kept = min(self.memory, n + steps)
            kept_memory[self.memory - kept:, b] = states[-kept:].detach()
            kept_lengths.append(kept)
        return y + torch.stack(out, dim=1), kept_memory, torch.tensor(kept_lengths)


def build(cell, vocab, embed, hidden, layers, attention_memory=0, adaptive_cutoffs=None, adaptive_div=4.0):
    if cell == "lstm":
        rnn = nn.LSTM(embed, hidden, layers)
    elif cell == "gru":
        rnn = nn.GRU(embed, hidden, layers)
    else:
        rnn = nn.RNN(embed, hidden, layers, nonlinearity="relu" if cell == "rnn-relu" else "tanh")
    modules = dict(encoder=nn.Embedding(vocab, embed), rnn=rnn)
    if attention_memory > 0:
        modules["attention"] = Attention(hidden, attention_memory)
    if adaptive_cutoffs:
        modules["decoder"] = nn.AdaptiveLogSoftmaxWithLoss(hidden, vocab, adaptive_cutoffs, div_value=adaptive_div,
                                                           head_bias=True)
    else:
        modules["decoder"] = nn.Linear(hidden, vocab)
    model = nn.ModuleDict(modules)
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-0.5, 0.5)
        if attention_memory > 0:
            # Larger than the rest, so that the softmax is far from uniform and every attention
            # gradient stands well above the check's absolute tolerance (1e-5).
            attention = modules["attention"]
            attention.query.weight.uniform_(-1.5, 1.5)
            attention.query_norm.weight.uniform_(2, 4)
            attention.key_gate.uniform_(0, 3)
            attention.value_gate.uniform_(1, 3)
    return model


def run_with_masks(model, cell, inputs, h0, c0, masks, attend=None):
    """The RNNModel's forward with dropout applied by the given masks (0 or 1/(1-p)) on the
    embedding, between layers and before the decoder. Each layer runs as a one-layer module that
    shares the multi-layer module's parameter objects, so the masks between layers can be given
    and the gradients land on the multi-layer module's parameters."""
    rnn = model["rnn"]
    x = model["encoder"](inputs) * masks[0]
    finals = []
    for k in range(rnn.num_layers):
        layer = build(cell, 1, rnn.input_size if k == 0 else rnn.hidden_size, rnn.hidden_size, 1)["rnn"]
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            setattr(layer, kind + "_l0", getattr(rnn, f"{kind}_l{k}"))
        x, final = layer(x, (h0[k:k + 1], c0[k:k + 1]) if cell == "lstm" else h0[k:k + 1])
        finals.append(final)
        if attend is not None and k == max(0, rnn.num_layers - 2):
            x = attend(x)
        x = x * masks[k + 1]
    if cell == "lstm":
        return x, (torch.cat([f[0] for f in finals]), torch.cat([f[1] for f in finals]))
    return x, torch.cat(finals)


def make(out, name, cell, vocab, embed, hidden, layers, steps, batch, zero_state=False, seed=1, dropout=0.0,
         attention_memory=0, memory_lengths=None, adaptive_cutoffs=None, adaptive_div=4.0):
    torch.manual_seed(seed)
    model = build(cell, vocab, embed, hidden, layers, attention_memory, adaptive_cutoffs, adaptive_div)
    inputs = torch.randint(0, vocab, (steps, batch))
    targets = torch.randint(0, vocab, (steps, batch))
    def state():
        s = torch.zeros(layers, batch, hidden) if zero_state else torch.empty(layers, batch, hidden).uniform_(-0.5, 0.5)
        return s.requires_grad_()
    h0 = state()
    c0 = state() if cell == "lstm" else None
    masks = []
    carried = {}
    if attention_memory > 0:
        lengths = torch.tensor(memory_lengths or [0] * batch)
        memory = torch.zeros(attention_memory, batch, hidden)
        for b in range(batch):
            n = int(lengths[b])
            memory[attention_memory - n:, b] = torch.empty(n, hidden).uniform_(-0.5, 0.5)
        def attend(x):
            z, carried["memory"], carried["lengths"] = model["attention"](x, memory, lengths)
            return z
        ones = [torch.ones(1)] * (layers + 1)
        output, final = run_with_masks(model, cell, inputs, h0, c0, ones, attend)
    elif dropout > 0:
        for k in range(layers + 1):
            width = embed if k == 0 else hidden
            masks.append(torch.bernoulli(torch.full((steps, batch, width), 1 - dropout)) / (1 - dropout))
        output, final = run_with_masks(model, cell, inputs, h0, c0, masks)
    else:
        output, final = model["rnn"](model["encoder"](inputs), (h0, c0) if cell == "lstm" else h0)
    if adaptive_cutoffs:
        with torch.no_grad():
            for p in model["decoder"].parameters():
                p.uniform_(-1.5, 1.5)
        rows = output.reshape(-1, hidden)
        loss = model["decoder"](rows, targets.reshape(-1)).loss
        logits = model["decoder"].log_prob(rows).reshape(steps, batch, vocab)
    else:
        logits = model["decoder"](output)
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
    loss.backward()

    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    tensors.update({"input": inputs, "target": targets, "h0": h0.detach(), "expected.logits": logits.detach(),
                    "expected.loss": loss.detach(), "grad.h0": h0.grad})
    if cell == "lstm":
        tensors.update({"c0": c0.detach(), "expected.hT": final[0].detach(), "expected.cT": final[1].detach(),
                        "grad.c0": c0.grad})
    else:
        tensors["expected.hT"] = final.detach()
    for k, p in model.named_parameters():
        tensors["grad." + k] = p.grad.contiguous()
    for k, mask in enumerate(masks):
        tensors[f"dropout.mask{k}"] = mask
    if attention_memory > 0:
        tensors.update({"memory": memory, "memory_lengths": lengths, "expected.memory": carried["memory"],
                        "expected.memory_lengths": carried["lengths"]})
    metadata = {"vocab": str(vocab), "embed": str(embed), "hidden": str(hidden), "layers": str(layers),
                "T": str(steps), "B": str(batch), "zero_state": str(zero_state).lower(),
                "cell": {"lstm": "LSTM", "gru": "GRU", "rnn-tanh": "RNN_TANH", "rnn-relu": "RNN_RELU"}[cell],
                "layout": "time-major [T, B, ...]; gate blocks in PyTorch's order; loss = mean cross-entropy over T*B",
                "torch": torch.__version__}
    if dropout > 0:
        metadata["dropout"] = str(dropout)
    if attention_memory > 0:
        metadata["attention_memory"] = str(attention_memory)
    if adaptive_cutoffs:
        metadata["adaptive_cutoffs"] = ",".join(map(str, adaptive_cutoffs))
        metadata["adaptive_div_value"] = repr(float(adaptive_div))
    path = os.path.join(out, name + ".safetensors")
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata=metadata)
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--name")
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn-tanh", "rnn-relu"])
    for flag, default in [("vocab", 11), ("embed", 5), ("hidden", 7), ("layers", 2), ("steps", 6), ("batch", 3), ("seed", 1)]:
        p.add_argument("--" + flag, type=int, default=default)
    p.add_argument("--zero-state", action="store_true")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--attention-memory", type=int, default=0)
    p.add_argument("--attention-only", action="store_true", help="write only the attention fixtures")
    p.add_argument("--adaptive-cutoffs", help="comma-separated cutoffs: an adaptive softmax decoder")
    p.add_argument("--adaptive-div", type=float, default=4.0)
    p.add_argument("--adaptive-only", action="store_true", help="write only the adaptive-softmax fixtures")
    a = p.parse_args()
    torch.set_num_threads(1)
    if a.name is None:
        if a.adaptive_only:
            specs = ADAPTIVE
        else:
            specs = ([] if a.attention_only else STANDARD) + ATTENTION + ([] if a.attention_only else ADAPTIVE)
        for spec in specs:
            print(make(a.out, **spec))
    else:
        print(make(a.out, a.name, a.cell, a.vocab, a.embed, a.hidden, a.layers, a.steps, a.batch, a.zero_state, a.seed,
                   a.dropout, a.attention_memory,
                   adaptive_cutoffs=[int(c) for c in a.adaptive_cutoffs.split(",")] if a.adaptive_cutoffs else None,
                   adaptive_div=a.adaptive_div))


if __name__ == "__main__":
    main()
