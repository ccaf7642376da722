#!/usr/bin/env python3
"""PyTorch twin of `quill-bench train`: the same model, data and loop, timed alike.

The model is PyTorch word_language_model's RNNModel shape (nn.Embedding "encoder" -> nn.LSTM /
nn.GRU / nn.RNN "rnn" with L layers -> nn.Linear "decoder"), no dropout, untied. One training
step is what `quill-bench train` does: forward over a (T, B) window of random token ids with the
state carried from the previous window (detached), mean cross-entropy, backward, global-norm
clipping at 0.25, an SGD update: by hand, parameter by parameter, as word_language_model's main.py
writes it (`--update hand`), or by `torch.optim.SGD` with its defaults as a user's own loop would
(`--update sgd`; on CPU its default is the per-parameter loop, not the multi-tensor one).
`--warmup` untimed steps (3) come before the timed ones, where `quill-bench train` takes one: the
extra two can only help PyTorch. Generation is batch 1 with temperature sampling, one token
at a time, as word_language_model's generate.py does.

`quill-bench suite --pytorch PYTHON` runs this script alternately with Quill and prints both; it
can also be run alone:

    python3 Benchmarks/pytorch_twin.py --vocab 65 --embed 64 --hidden 256 --batch 32 --seq-len 64

With `--attention --attention-memory M` the model has Quill's attention head after the
second-to-last layer (interop/pytorch/quill.py's `Attention`, the module checked there against the
parity fixtures): the layers below it and the one above it are two nn modules, and the memory of
the last M states is carried between windows and, in generation, from token to token (PyTorch
concatenates it with the new state each time; Quill keeps a ring).

It prints one JSON object with the same keys as `quill-bench train --json`. With
`--adaptive-softmax C1,C2,...` (and `--adaptive-div`) the decoder is nn.AdaptiveLogSoftmaxWithLoss
(head_bias=True), trained on its own loss and sampled from its log_prob, as Quill's flag does.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "interop", "pytorch"))
from quill import Attention  # noqa: E402


def recurrent(cell, inputs, hidden, layers):
    if cell == "lstm":
        return nn.LSTM(inputs, hidden, layers)
    if cell == "gru":
        return nn.GRU(inputs, hidden, layers)
    return nn.RNN(inputs, hidden, layers, nonlinearity="relu" if cell == "rnn-relu" else "tanh")


class RNNModel(nn.Module):
    def __init__(self, cell, vocab, embed, hidden, layers, cutoffs=None, div_value=4.0, attention_memory=0):
        super().__init__()
        self.encoder = nn.Embedding(vocab, embed)
        below = layers if attention_memory == 0 else max(1, layers - 1)
        self.rnn = recurrent(cell, embed, hidden, below)
        self.attention = Attention(hidden, attention_memory) if attention_memory else None
        self.above = recurrent(cell, hidden, hidden, layers - below) if layers > below else None
        self.adaptive = bool(cutoffs)
        if self.adaptive:
            self.decoder = nn.AdaptiveLogSoftmaxWithLoss(hidden, vocab, cutoffs, div_value=div_value, head_bias=True)
        else:
            self.decoder = nn.Linear(hidden, vocab)
        self.cell, self.layers, self.hidden = cell, layers, hidden

    def decode(self, output):
        """Logits, or with an adaptive softmax the top layer's output (the decoder scores it)."""
        return output if self.adaptive else self.decoder(output)

    def forward(self, tokens, state):
        if self.attention is None:
            output, state = self.rnn(self.encoder(tokens), state)
            return self.decode(output), state
        (low, high), memory, lengths = state
        output, low = self.rnn(self.encoder(tokens), low)
        output, memory, lengths = self.attention(output, memory, lengths)
        if self.above is not None:
            output, high = self.above(output, high)
        return self.decode(output), ((low, high), memory, lengths)

    def zero_state(self, batch):
        def zeros(layers):
            h = torch.zeros(layers, batch, self.hidden)
            return (h, h.clone()) if self.cell == "lstm" else h
        if self.attention is None:
            return zeros(self.layers)
        high = zeros(self.above.num_layers) if self.above is not None else None
        return ((zeros(self.rnn.num_layers), high), *self.attention.empty_memory(batch, torch.zeros(1, self.hidden)))


def detach(state):
    if isinstance(state, tuple):
        return tuple(detach(s) for s in state)
    return state.detach() if state is not None else None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vocab", type=int, default=65)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--generate", type=int, default=2000)
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn-tanh", "rnn-relu"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--update", default="hand", choices=["hand", "sgd"],
                   help="hand: param.add_(grad, alpha=-lr) per parameter; sgd: torch.optim.SGD")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps before the timed ones")
    p.add_argument("--adaptive-softmax", default="", help="comma-separated cutoffs (empty: the full softmax)")
    p.add_argument("--adaptive-div", type=float, default=4.0)
    p.add_argument("--attention", action="store_true")
    p.add_argument("--attention-memory", type=int, default=256)
    a = p.parse_args()
    cutoffs = [int(c) for c in a.adaptive_softmax.split(",")] if a.adaptive_softmax else None

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = RNNModel(a.cell, a.vocab, a.embed, a.hidden, a.layers, cutoffs, a.adaptive_div,
                     a.attention_memory if a.attention else 0)
    criterion = nn.CrossEntropyLoss()
    lr = 0.1
    tokens = torch.randint(0, a.vocab, (a.seq_len * (a.steps + 1) + 1, a.batch))
    state = model.zero_state(a.batch)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr) if a.update == "sgd" else None

    def step(i):
        nonlocal state
        start = (i % (a.steps + 1)) * a.seq_len
        x = tokens[start:start + a.seq_len]
        y = tokens[start + 1:start + 1 + a.seq_len]
        state = detach(state)
        model.zero_grad()
        logits, state = model(x, state)
        if model.adaptive:
            loss = model.decoder(logits.view(-1, a.hidden), y.reshape(-1)).loss
        else:
            loss = criterion(logits.view(-1, a.vocab), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        if optimizer is not None:
            optimizer.step()
        else:
            with torch.no_grad():
                for param in model.parameters():
                    param.add_(param.grad, alpha=-lr)

    model.train()
    for i in range(a.warmup):
        step(i)
    start = time.perf_counter()
    for i in range(a.warmup, a.warmup + a.steps):
        step(i)
    train_seconds = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        g_state = model.zero_state(1)
        token = torch.tensor([[1]])
        for _ in range(10):  # warm-up
            logits, g_state = model(token, g_state)
        start = time.perf_counter()
        for _ in range(a.generate):
            logits, g_state = model(token, g_state)
            if model.adaptive:
                logits = model.decoder.log_prob(logits.view(1, -1))
            weights = logits.squeeze().div(0.8).exp()
            token = torch.multinomial(weights, 1).view(1, 1)
        generate_seconds = time.perf_counter() - start

    print(json.dumps({
        "train_tokens_per_s": round(a.steps * a.batch * a.seq_len / train_seconds),
        "generate_tokens_per_s": round(a.generate / generate_seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
