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

A bpe checkpoint's vocab is a ``BytePairVocab``: its tokens in id order (a list, as at the other
levels) and the merges from the checkpoint, so ``encode`` and ``decode`` give Quill's own ids and
text. ``BytePairVocab.from_tokenizer_json`` reads a Hugging Face tokenizer.json of GPT-2's kind
(what ``quill export-vocab`` writes for a bpe model, or ``quill train --tokenizer`` reads).

``quill generate``, ``quill perplexity``, ``quill info`` and ``quill train --from`` then read the
saved folder. Needs torch and safetensors (``pip install torch safetensors``).
"""
import json
import math
import os
import re
import unicodedata

import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file
from safetensors import safe_open

FORMAT = "1"  # what save() writes: Quill upgrades it on reading
READS = ("1", "2", "3", "4")  # what load() reads: 2 requires every config field, 3 may add an attention head, 4 an adaptive softmax
ADAPTIVE_FORMAT = "4"  # what save() writes for a model with an adaptive softmax (3 for one with an attention head)
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
    one-layer model); the state is then (recurrent state, memory, memory lengths). ``adaptive``
    ({"cutoffs": [...], "divValue": d}, Quill's config field) puts nn.AdaptiveLogSoftmaxWithLoss
    (head_bias=True) in place of the decoder; ``forward`` then returns log-probabilities, whose
    cross-entropy is the model's, and ``model.decoder(rows, targets).loss`` trains faster.
    """

    def __init__(self, cell, vocab_size, embed, hidden, layers, dropout=0.0, tie_weights=False, attention_memory=0,
                 adaptive=None):
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
        if adaptive and tie_weights:
            raise ValueError("tied weights cannot be used with an adaptive softmax")
        self.adaptive = dict(adaptive) if adaptive else None
        if adaptive:
            self.decoder = nn.AdaptiveLogSoftmaxWithLoss(hidden, vocab_size, adaptive["cutoffs"],
                                                         div_value=float(adaptive.get("divValue", 4.0)), head_bias=True)
        else:
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
            return self._decode(y), state
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
        return self._decode(y), (rnn_state, memory, lengths)

    def _decode(self, y):
        """Logits, or log-probabilities with an adaptive softmax, for the top layer's output y."""
        if self.adaptive:
            steps, batch, hidden = y.shape
            return self.decoder.log_prob(self.drop(y).reshape(-1, hidden)).reshape(steps, batch, -1)
        return self.decoder(self.drop(y))

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
        config = {
            "vocabularySize": self.vocab_size, "embeddingSize": self.embed, "hiddenSize": self.hidden,
            "layers": self.layers, "dropout": float(self.dropout), "tieWeights": bool(self.tie_weights),
            "cell": self.cell, "initialization": "pytorch", "initializationRange": 0.1,
            **({"attention": {"memory": self.attention_memory}} if self.attention_memory else {}),
        }
        if self.adaptive:
            config["adaptiveSoftmax"] = {"cutoffs": list(self.adaptive["cutoffs"]),
                                         "divValue": float(self.adaptive.get("divValue", 4.0))}
        return config


class Loaded:
    """A loaded checkpoint: ``model`` (an RNNModel), ``vocab`` (tokens in id order), ``level``
    ("char" or "word"), ``mode`` ("stream" or "lines"), ``config`` and ``summary`` (dicts)."""

    def __init__(self, model, vocab, level, mode, config, summary):
        self.model, self.vocab, self.level, self.mode = model, vocab, level, mode
        self.config, self.summary = config, summary


def _byte_alphabet():
    """GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the other 68
    take U+0100 onwards in byte order (a space is Ġ, a newline Ċ)."""
    printable = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(0x100 + extra)
            extra += 1
    return table


_BYTE_CHAR = _byte_alphabet()
_CHAR_BYTE = {c: b for b, c in _BYTE_CHAR.items()}
# Unicode White_Space (what Quill's splitter and GPT-2's \s mean); str.isspace() differs (U+001C-001F).
_WHITE_SPACE = frozenset(map(chr, [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
                                   0x202F, 0x205F, 0x3000]))


def _kind(ch):
    if ch in _WHITE_SPACE:
        return "space"
    category = unicodedata.category(ch)
    if category[0] == "L":
        return "letter"
    if category[0] == "N":
        return "number"
    return "other"


def _contraction(text, i):
    if text[i] != "'" or i + 1 >= len(text):
        return 0
    if text[i + 1] in "stmd":
        return 2
    return 3 if text[i + 1:i + 3] in ("re", "ve", "ll") else 0


def pieces(text):
    """``text`` cut where Quill's bpe level (and GPT-2's pattern) cuts it before merging: an
    English contraction; else an optional leading space and a run of letters, of numbers or of
    other characters; else a run of whitespace, less its last character when a non-space follows
    (that space then leads the next word)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = _contraction(text, i)
        if c and i + c <= n:
            out.append(text[i:i + c])
            i += c
            continue
        kind, j = _kind(text[i]), i + 1
        if text[i] == " " and j < n and _kind(text[j]) != "space":
            kind, j = _kind(text[j]), j + 1
        if kind != "space":
            while j < n and _kind(text[j]) == kind:
                j += 1
            out.append(text[i:j])
            i = j
            continue
        last = i
        while j < n and _kind(text[j]) == "space":
            last, j = j, j + 1
        if j < n and last > i:
            j = last
        out.append(text[i:j])
        i = j
    return out


class BytePairVocab(list):
    """A byte-level BPE vocabulary: the tokens in id order (written in GPT-2's byte characters,
    ``Ġthe``), ``specials`` of them first, and the merges in rank order as pairs of token strings.
    Encodes as Quill does: CR LF read as LF, the text cut into ``pieces``, and in each piece the
    pair of lowest rank merged (every occurrence, left to right) until no pair has a merge."""

    def __init__(self, tokens, merges, specials=0):
        super().__init__(tokens)
        self.merges = [tuple(pair) for pair in merges]
        self.specials = specials
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self.index = {token: i for i, token in enumerate(self)}
        self.symbols = set(_BYTE_CHAR.values()) | {a + b for a, b in self.merges}
        missing = [s for s in self.symbols if s not in self.index]
        if missing:
            raise ValueError(f"the vocabulary lacks {len(missing)} token(s) its merges make, e.g. {missing[0]!r}")
        self._cache = {}

    @classmethod
    def from_quill(cls, stored):
        """From a checkpoint's ``quill.vocabulary`` object: merges are [left, right] symbol pairs,
        bytes being symbols 0-255 and each merge that makes new bytes making the next symbol."""
        symbols = [_BYTE_CHAR[b] for b in range(256)]
        known = set(symbols)
        merges = []
        for left, right in stored["merges"]:
            merged = symbols[left] + symbols[right]
            merges.append((symbols[left], symbols[right]))
            if merged not in known:
                known.add(merged)
                symbols.append(merged)
        return cls(stored["tokens"], merges, stored.get("specials", 0))

    @classmethod
    def from_tokenizer_json(cls, path):
        """From a Hugging Face tokenizer.json with a BPE model (GPT-2's kind): its vocab's ids and
        its merges ("left right" strings, or [left, right] lists)."""
        with open(path, encoding="utf-8") as f:
            model = json.load(f)["model"]
        if model.get("type") != "BPE":
            raise ValueError(f"{path}: the model is {model.get('type')!r}, not BPE")
        by_id = {i: token for token, i in model["vocab"].items()}
        if sorted(by_id) != list(range(len(by_id))):
            raise ValueError(f"{path}: the vocab's ids are not 0 to {len(by_id) - 1}")
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        return cls([by_id[i] for i in range(len(by_id))], merges)

    def symbol_merges(self):
        """The merges as Quill stores them: [left, right] pairs of symbol numbers."""
        symbols = {_BYTE_CHAR[b]: b for b in range(256)}
        out = []
        for left, right in self.merges:
            out.append([symbols[left], symbols[right]])
            symbols.setdefault(left + right, len(symbols))
        return out

    def _encode_piece(self, piece):
        word = [_BYTE_CHAR[b] for b in piece.encode("utf-8")]
        while len(word) > 1:
            ranked = [(self.ranks[pair], k) for k, pair in enumerate(zip(word, word[1:])) if pair in self.ranks]
            if not ranked:
                break
            left, right = self.merges[min(ranked)[0]]
            merged, k = [], 0
            while k < len(word):
                if k + 1 < len(word) and word[k] == left and word[k + 1] == right:
                    merged.append(left + right)
                    k += 2
                else:
                    merged.append(word[k])
                    k += 1
            word = merged
        return [self.index[token] for token in word]

    def encode(self, text):
        """Quill's ids of ``text``."""
        ids = []
        for piece in pieces(text.replace("\r\n", "\n")):
            cached = self._cache.get(piece)
            if cached is None:
                cached = self._cache[piece] = self._encode_piece(piece)
            ids.extend(cached)
        return ids

    def decode(self, ids):
        """The text of ``ids``: their bytes joined, read as UTF-8 (bytes that form no character as
        U+FFFD); specials and other tokens that are no symbol print as nothing."""
        data = bytearray()
        for i in ids:
            token = self[i]
            if token in self.symbols:
                data.extend(_CHAR_BYTE[c] for c in token)
        return data.decode("utf-8", errors="replace")


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
    stored = json.loads(meta["quill.vocabulary"])
    vocab = stored["tokens"] if stored.get("merges") is None else BytePairVocab.from_quill(stored)
    summary = json.loads(meta.get("quill.training", "{}"))
    model = RNNModel(config.get("cell", "lstm"), config["vocabularySize"], config["embeddingSize"],
                     config["hiddenSize"], config["layers"], config.get("dropout", 0.0), config.get("tieWeights", False),
                     (config.get("attention") or {}).get("memory", 0), config.get("adaptiveSoftmax"))
    tensors = load_file(path, device=device)
    wanted = {k: v for k, v in tensors.items() if k in model.state_dict()}
    model.load_state_dict(wanted)
    return Loaded(model.to(device), vocab, summary.get("level", "word"), summary.get("mode", "stream"), config, summary)


def save(path, model, vocab, level, mode="stream", summary=None):
    """Writes ``model`` (an RNNModel) as a Quill checkpoint: ``path`` is a folder (its
    model.safetensors is written) or a .safetensors file. ``vocab`` lists the tokens in id order;
    ``level`` is "char", "word" or "bpe" (then ``vocab`` is a BytePairVocab read from Quill, whose
    merges are written too). The write is atomic (a temporary file, then a rename)."""
    if level not in ("char", "word", "bpe"):
        raise ValueError(f"level must be 'char', 'word' or 'bpe', got {level!r}")
    if (level == "bpe") != isinstance(vocab, BytePairVocab):
        raise ValueError("a bpe model needs a BytePairVocab (its merges), and only a bpe model has one")
    if len(vocab) != model.vocab_size:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model {model.vocab_size}")
    if not path.endswith(".safetensors"):
        os.makedirs(path, exist_ok=True)
        path = os.path.join(path, "model.safetensors")
    specials = vocab.specials if level == "bpe" else 0
    while level != "bpe" and specials < len(vocab) and vocab[specials] in SPECIALS:
        specials += 1
    stored = {"specials": specials, "tokens": list(vocab)}
    if level == "bpe":
        stored["merges"] = vocab.symbol_merges()
    summary = dict(summary or {})
    summary.setdefault("steps", 0)
    summary.setdefault("epochs", 0.0)
    summary.setdefault("history", [])
    summary.update(level=level, mode=mode)
    meta = {
        # Format 3 is the first that holds an attention head, 4 an adaptive softmax; a plain model is written as before.
        "quill.format": ADAPTIVE_FORMAT if getattr(model, "adaptive", None) else "3" if getattr(model, "attention_memory", 0) else FORMAT,
        "quill.config": json.dumps(model.config(), sort_keys=True),
        "quill.vocabulary": json.dumps(stored, ensure_ascii=False),
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
    vocabulary lacks become <unk> (or are dropped when it has none). At the bpe level, the
    BytePairVocab's encoding (CR LF read as LF)."""
    if level == "bpe":
        return vocab.encode(text)
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
    """Text of token ids: characters joined, or words joined by spaces with <eos> as a newline; bpe
    tokens' bytes joined and read as UTF-8 (bytes that form no character as U+FFFD)."""
    if level == "bpe":
        return vocab.decode(ids)
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
