"""Quill checkpoints in PyTorch, and PyTorch models back into Quill.

A Quill checkpoint is one safetensors file whose tensors carry PyTorch's word_language_model
names (encoder.weight, rnn.weight_ih_l0, ..., decoder.weight, decoder.bias) and whose
``__metadata__`` holds the model config, the vocabulary and the training summary as JSON. This
module reads and writes that form:

    import quill
    loaded = quill.load("checkpoints/lighthouse")        # a folder or a .safetensors file
    model, vocab = loaded.model, loaded.vocab            # an RNNModel and the tokens in id order
    ids = quill.encode(open("new.txt").read(), vocab, loaded.level)
    ...train with plain PyTorch...
    quill.save("checkpoints/from-torch", model, vocab, level=loaded.level)

``quill generate``, ``quill perplexity``, ``quill info`` and ``quill train --from`` then read the
saved folder. Needs torch and safetensors (``pip install torch safetensors``).
"""
import json
import math
import os
import re

import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file
from safetensors import safe_open

FORMAT = "1"  # what save() writes: Quill upgrades it on reading
READS = ("1", "2", "3")  # what load() reads: 2 requires every config field, 3 may add an attention head
# (save() writes 3 for a model with an attention head, which format 1 cannot hold)
SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")
_ASCII_SPACE = re.compile(r"[ \t\v\f\r]+")
_CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn-tanh": "RNN_TANH", "rnn-relu": "RNN_RELU"}


class Attention(nn.Module):
    """Quill's single attention head (SHA-RNN's, docs/attention.md): the query is a LayerNorm'd
    projection of the attended layer's output y; the keys and values are the states themselves
    (the carried memory's, then the window's) scaled by sigmoid gates; position t attends to
    itself and the ``memory`` states before it; the output is y + softmax(q k^T / sqrt(H)) v.

    The memory is a (M, B, H) tensor with each row's states right-aligned, and ``lengths`` (B)
    how many of them each row holds; it carries no gradient, as the recurrent state between
    windows does not.
    """

    def __init__(self, hidden, memory):
        super().__init__()
        self.query = nn.Linear(hidden, hidden)
        self.query_norm = nn.LayerNorm(hidden)
        self.key_gate = nn.Parameter(torch.zeros(hidden))
        self.value_gate = nn.Parameter(torch.zeros(hidden))
        self.memory = memory

    def empty_memory(self, batch, like):
        return like.new_zeros(self.memory, batch, like.shape[-1]), torch.zeros(batch, dtype=torch.long, device=like.device)

    def forward(self, y, memory, lengths):
        """y: (T, B, H). Returns (T, B, H) and the memory and lengths after the window."""
        steps, batch, hidden = y.shape
        states = torch.cat([memory.detach(), y])  # (M + T, B, H); memory slot s < M is valid for s >= M - lengths
        q = self.query_norm(self.query(y)) * torch.sigmoid(self.key_gate)
        scores = torch.einsum("tbh,sbh->bts", q, states) / math.sqrt(hidden)
        t = torch.arange(steps, device=y.device)[:, None]
        s = torch.arange(self.memory + steps, device=y.device)[None, :]
        reach = (s <= t + self.memory) & (s >= t)  # itself and the M positions before it
        valid = reach[None] & (s[None] >= (self.memory - lengths.to(y.device))[:, None, None])
        weights = torch.softmax(scores.masked_fill(~valid, float("-inf")), dim=-1)
        attended = torch.einsum("bts,sbh->tbh", weights, states) * torch.sigmoid(self.value_gate)
        kept_lengths = torch.clamp(lengths + steps, max=self.memory)
        slot = torch.arange(self.memory, device=y.device)[:, None]
        kept = states[-self.memory:].detach() * (slot >= self.memory - kept_lengths.to(y.device)[None, :])[..., None]
        return y + attended, kept, kept_lengths


class RNNModel(nn.Module):
    """Embedding, a stacked recurrent layer and a linear decoder, with dropout on the embedding,
    between layers and before the decoder: the shape (and parameter names) of PyTorch's
    word_language_model example, which is also Quill's model.

    ``cell`` is Quill's name: lstm, gru, rnn-tanh or rnn-relu. ``attention_memory`` M > 0 adds
    Quill's attention head (``Attention``) after the second-to-last layer (after the only one of a
    one-layer model); the state is then (recurrent state, memory, memory lengths).
    """

    def __init__(self, cell, vocab_size, embed, hidden, layers, dropout=0.0, tie_weights=False, attention_memory=0):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {', '.join(_CELLS)}, got {cell!r}")
        if tie_weights and embed != hidden:
            raise ValueError(f"tied weights need embed == hidden (got {embed} and {hidden})")
        self.cell = cell
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(vocab_size, embed)
        between = dropout if layers > 1 else 0.0
        if cell == "lstm":
            self.rnn = nn.LSTM(embed, hidden, layers, dropout=between)
        elif cell == "gru":
            self.rnn = nn.GRU(embed, hidden, layers, dropout=between)
        else:
            self.rnn = nn.RNN(embed, hidden, layers, nonlinearity=cell[4:], dropout=between)
        if attention_memory > 0:
            self.attention = Attention(hidden, attention_memory)
            # The layers below the head and above it run as two stacks that share the parameters of
            # self.rnn (which keeps the rnn.*_l{k} names); plain attributes, so not registered twice.
            split = max(1, layers - 1)
            self._stacks = [(k0, self._view(k0, k1, between)) for k0, k1 in ((0, split), (split, layers)) if k1 > k0]
        self.decoder = nn.Linear(hidden, vocab_size)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.tie_weights = tie_weights
        self.vocab_size, self.embed, self.hidden, self.layers, self.dropout = vocab_size, embed, hidden, layers, dropout
        self.attention_memory = attention_memory

    def _view(self, first, end, between):
        """A recurrent module over layers first..<end of self.rnn, using the same parameter objects."""
        rnn = self.rnn
        size = rnn.input_size if first == 0 else rnn.hidden_size
        kind = {"lstm": nn.LSTM, "gru": nn.GRU}.get(self.cell)
        between = between if end - first > 1 else 0.0  # (PyTorch warns of dropout in a one-layer module)
        view = kind(size, rnn.hidden_size, end - first, dropout=between) if kind else \
            nn.RNN(size, rnn.hidden_size, end - first, nonlinearity=rnn.nonlinearity, dropout=between)
        self._share(first, view)
        return view

    def _share(self, first, view):
        for k in range(view.num_layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                setattr(view, f"{name}_l{k}", getattr(self.rnn, f"{name}_l{first + k}"))

    def forward(self, ids, state=None):
        """ids: (T, B) token ids. Returns (T, B, V) logits and the final state."""
        x = self.drop(self.encoder(ids))
        if self.attention_memory == 0:
            y, state = self.rnn(x, state)
            return self.decoder(self.drop(y)), state
        rnn_state, memory, lengths = state if state is not None else self.init_state(ids.shape[1])
        lstm = self.cell == "lstm"
        finals = []
        for first, stack in self._stacks:
            end = first + stack.num_layers
            stack.train(self.training)  # not a registered submodule, so model.eval() does not reach it
            y, final = stack(x, (rnn_state[0][first:end], rnn_state[1][first:end]) if lstm else rnn_state[first:end])
            finals.append(final)
            if first == 0:
                y, memory, lengths = self.attention(y, memory, lengths)
                x = self.drop(y)
        rnn_state = (torch.cat([f[0] for f in finals]), torch.cat([f[1] for f in finals])) if lstm else torch.cat(finals)
        return self.decoder(self.drop(y)), (rnn_state, memory, lengths)

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        for first, view in getattr(self, "_stacks", []):  # follow the parameters to a new device or dtype
            self._share(first, view)
        return self

    def init_state(self, batch):
        """A zero state for ``batch`` rows (with an attention head, an empty memory too)."""
        weight = next(self.parameters())
        h = weight.new_zeros(self.layers, batch, self.hidden)
        rnn_state = (h, h.clone()) if self.cell == "lstm" else h
        if self.attention_memory == 0:
            return rnn_state
        return (rnn_state, *self.attention.empty_memory(batch, h))

    def config(self):
        """Quill's model config for this model (the ``quill.config`` metadata)."""
        return {
            "vocabularySize": self.vocab_size, "embeddingSize": self.embed, "hiddenSize": self.hidden,
            "layers": self.layers, "dropout": float(self.dropout), "tieWeights": bool(self.tie_weights),
            "cell": self.cell, "initialization": "pytorch", "initializationRange": 0.1,
            **({"attention": {"memory": self.attention_memory}} if self.attention_memory else {}),
        }


class Loaded:
    """A loaded checkpoint: ``model`` (an RNNModel), ``vocab`` (tokens in id order), ``level``
    ("char" or "word"), ``mode`` ("stream" or "lines"), ``config`` and ``summary`` (dicts)."""

    def __init__(self, model, vocab, level, mode, config, summary):
        self.model, self.vocab, self.level, self.mode = model, vocab, level, mode
        self.config, self.summary = config, summary


def _resolve(path):
    if os.path.isdir(path):
        for name in ("model.safetensors", "latest.safetensors"):
            inside = os.path.join(path, name)
            if os.path.exists(inside):
                return inside
        raise FileNotFoundError(f"{path} holds no model.safetensors")
    return path


def load(path, device="cpu"):
    """Reads a Quill checkpoint (a run folder or a .safetensors file) into an RNNModel."""
    path = _resolve(path)
    with safe_open(path, framework="pt") as f:
        meta = f.metadata() or {}
    if "quill.config" not in meta:
        raise ValueError(f"{path} is not a Quill checkpoint (no quill.config metadata)")
    if meta.get("quill.format") not in READS:
        raise ValueError(f"{path} has quill.format {meta.get('quill.format')!r}; this module reads {', '.join(READS)}")
    if meta.get("quill.weights") == "int8":  # bf16 widens in load_state_dict; int8 codes need their scales
        raise ValueError(f"{path} holds int8 weights; load the checkpoint it was quantized from")
    config = json.loads(meta["quill.config"])
    if json.loads(meta.get("quill.training", "{}")).get("level") == "bpe":
        raise ValueError(f"{path} is a bpe model; encode its text with its tokenizer.json (quill export-vocab) in Hugging Face tokenizers")
    vocab = json.loads(meta["quill.vocabulary"])["tokens"]
    summary = json.loads(meta.get("quill.training", "{}"))
    model = RNNModel(config.get("cell", "lstm"), config["vocabularySize"], config["embeddingSize"],
                     config["hiddenSize"], config["layers"], config.get("dropout", 0.0), config.get("tieWeights", False),
                     (config.get("attention") or {}).get("memory", 0))
    tensors = load_file(path, device=device)
    wanted = {k: v for k, v in tensors.items() if k in model.state_dict()}
    model.load_state_dict(wanted)
    return Loaded(model.to(device), vocab, summary.get("level", "word"), summary.get("mode", "stream"), config, summary)


def save(path, model, vocab, level, mode="stream", summary=None):
    """Writes ``model`` (an RNNModel) as a Quill checkpoint: ``path`` is a folder (its
    model.safetensors is written) or a .safetensors file. ``vocab`` lists the tokens in id order;
    ``level`` is "char" or "word". The write is atomic (a temporary file, then a rename)."""
    if level not in ("char", "word"):
        raise ValueError(f"level must be 'char' or 'word', got {level!r}")
    if len(vocab) != model.vocab_size:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model {model.vocab_size}")
    if not path.endswith(".safetensors"):
        os.makedirs(path, exist_ok=True)
        path = os.path.join(path, "model.safetensors")
    specials = 0
    while specials < len(vocab) and vocab[specials] in SPECIALS:
        specials += 1
    summary = dict(summary or {})
    summary.setdefault("steps", 0)
    summary.setdefault("epochs", 0.0)
    summary.setdefault("history", [])
    summary.update(level=level, mode=mode)
    meta = {
        # Format 3 is the first that holds an attention head; a plain model is written as before.
        "quill.format": "3" if getattr(model, "attention_memory", 0) else FORMAT,
        "quill.config": json.dumps(model.config(), sort_keys=True),
        "quill.vocabulary": json.dumps({"specials": specials, "tokens": list(vocab)}, ensure_ascii=False),
        "quill.training": json.dumps(summary, sort_keys=True),
    }
    # Tied weights are written twice (Quill and load_state_dict both find decoder.weight).
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous().clone() for k, v in model.state_dict().items()}
    tmp = path + f".tmp-{os.getpid()}"
    save_file(tensors, tmp, metadata=meta)
    os.replace(tmp, path)
    return path


def encode(text, vocab, level):
    """Token ids of ``text`` as Quill reads it: one id per character, or words split on ASCII
    whitespace (as Quill does; str.split() would also split on Unicode spaces) with <eos> closing every line (a last line without a newline too). Tokens the
    vocabulary lacks become <unk> (or are dropped when it has none)."""
    index = {t: i for i, t in enumerate(vocab)}
    unk = index.get("<unk>")
    ids = []
    if level == "char":
        for ch in text:
            i = index.get(ch, unk)
            if i is not None:
                ids.append(i)
        return ids
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    eos = index.get("<eos>", unk)
    for line in lines:
        for word in _ASCII_SPACE.split(line):
            if not word:
                continue
            i = index.get(word, unk)
            if i is not None:
                ids.append(i)
        if eos is not None:
            ids.append(eos)
    return ids


def decode(ids, vocab, level):
    """Text of token ids: characters joined, or words joined by spaces with <eos> as a newline."""
    if level == "char":
        return "".join(vocab[i] for i in ids if vocab[i] not in SPECIALS)
    out = []
    for i in ids:
        token = vocab[i]
        out.append("\n" if token == "<eos>" else token)
    return " ".join(out).replace(" \n ", "\n").replace(" \n", "\n")


@torch.no_grad()
def cross_entropy(model, ids):
    """Mean cross-entropy (nats per token) of predicting ids[1:] from ids[:-1], the text read as
    one stream from a zero state in evaluation mode: what ``quill perplexity --batch 1`` reports."""
    was_training = model.training
    model.eval()
    x = torch.tensor(ids[:-1], dtype=torch.long).unsqueeze(1)
    y = torch.tensor(ids[1:], dtype=torch.long)
    logits, _ = model(x, model.init_state(1))
    loss = nn.functional.cross_entropy(logits.squeeze(1), y).item()
    model.train(was_training)
    return loss


def perplexity(model, ids):
    return math.exp(cross_entropy(model, ids))
