#!/usr/bin/env python3
"""Checks quill.py against the quill executable (needs torch, safetensors and a built quill):

    .venv/bin/python interop/pytorch/test_quill.py [path/to/quill]

Trains a small Quill model, loads it into PyTorch and compares cross-entropies; trains it further
in PyTorch, saves it back and checks that quill reads what PyTorch computed; runs train_ddp.py on
two processes and checks that quill reads its result too. The same round trip for models with an
attention head, whose PyTorch module is also checked against the parity fixtures' twin.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch
from safetensors import safe_open
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import quill  # noqa: E402

QUILL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "quill")
TEXT = "".join(f"{i % 17} the keeper lit the lamp; wind from the west, fog until dawn.\n" for i in range(300))


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def run(*args):
    out = subprocess.run([QUILL, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(f"quill {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def quill_cross_entropy(checkpoint, text_path):
    return json.loads(run("perplexity", checkpoint, text_path, "--batch", "1", "--seq-len", "50", "--json"))["cross_entropy"]


class QuillInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="quill-interop-")
        cls.text = os.path.join(cls.dir, "text.txt")
        with open(cls.text, "w", encoding="utf-8") as f:
            f.write(TEXT)
        cls.held = os.path.join(cls.dir, "held.txt")
        with open(cls.held, "w", encoding="utf-8") as f:
            f.write(TEXT[:2000])
        cls.char = os.path.join(cls.dir, "char")
        run("train", cls.text, "--out", cls.char, "--embed", "16", "--hidden", "32", "--batch", "8", "--seq-len", "32",
            "--max-steps", "40", "--quiet")
        cls.word = os.path.join(cls.dir, "word")
        run("train", cls.text, "--level", "word", "--cell", "gru", "--out", cls.word, "--embed", "24", "--hidden", "24",
            "--tie-weights", "--batch", "4", "--seq-len", "16", "--max-steps", "40", "--quiet")

    def test_loaded_models_score_as_quill_does(self):
        for folder in (self.char, self.word):
            loaded = quill.load(folder)
            ids = quill.encode(read(self.held), loaded.vocab, loaded.level)
            ours = quill.cross_entropy(loaded.model, ids)
            theirs = quill_cross_entropy(folder, self.held)
            self.assertAlmostEqual(ours, theirs, delta=1e-4 * theirs, msg=folder)

    def test_model_trained_in_pytorch_comes_back(self):
        loaded = quill.load(self.char)
        model, vocab = loaded.model, loaded.vocab
        ids = torch.tensor(quill.encode(TEXT, vocab, "char"))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
        model.train()
        for step in range(20):
            start = (step * 64) % (len(ids) - 65)
            x, y = ids[start:start + 64].unsqueeze(1), ids[start + 1:start + 65]
            optimizer.zero_grad()
            logits, _ = model(x)
            torch.nn.functional.cross_entropy(logits.squeeze(1), y).backward()
            optimizer.step()
        out = os.path.join(self.dir, "from-torch")
        quill.save(out, model, vocab, level="char")
        held = quill.encode(read(self.held), vocab, "char")
        ours = quill.cross_entropy(model, held)
        self.assertAlmostEqual(quill_cross_entropy(out, self.held), ours, delta=1e-4 * ours)
        self.assertNotAlmostEqual(quill_cross_entropy(self.char, self.held), ours, delta=1e-3)
        self.assertIn("parameters", run("info", out))
        run("generate", out, "--prompt", "the ", "--length", "20")
        # And Quill trains it further from there.
        run("train", self.text, "--from", out, "--out", os.path.join(self.dir, "tuned"), "--max-steps", "3",
            "--batch", "4", "--seq-len", "16", "--quiet")

    def test_what_the_module_cannot_hold_is_refused(self):
        # int8 codes have no place in RNNModel.
        self.assertEqual(quill.load(self.char).level, "char")
        int8 = os.path.join(self.dir, "int8")
        run("quantize", self.char, int8, "--to", "int8")
        with self.assertRaisesRegex(ValueError, "int8"):
            quill.load(int8)
        bf16 = os.path.join(self.dir, "bf16")
        run("quantize", self.char, bf16, "--to", "bf16")
        self.assertEqual(len(quill.load(bf16).vocab), len(quill.load(self.char).vocab))

    def test_bpe_model_encodes_scores_and_comes_back_as_quill_does(self):
        bpe = os.path.join(self.dir, "bpe")
        run("train", self.text, "--out", bpe, "--level", "bpe", "--vocab-size", "300", "--embed", "16", "--hidden", "32",
            "--batch", "4", "--seq-len", "16", "--max-steps", "20", "--quiet")
        loaded = quill.load(bpe)
        self.assertEqual(loaded.level, "bpe")
        self.assertGreater(len(loaded.vocab.merges), 30)
        text = read(self.held) + "Ünïcödé — 😀 中文 it's  two\r\n"
        path = os.path.join(self.dir, "bpe-held.txt")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        ids = quill.encode(text, loaded.vocab, "bpe")
        self.assertEqual(ids, json.loads(run("encode", bpe, path, "--json"))["ids"])
        self.assertEqual(quill.decode(ids, loaded.vocab, "bpe"), text.replace("\r\n", "\n"))
        ours = quill.cross_entropy(loaded.model, ids)
        self.assertAlmostEqual(ours, quill_cross_entropy(bpe, path), delta=1e-4 * ours)
        # Saved from PyTorch with its merges, it is the same model to Quill.
        out = os.path.join(self.dir, "bpe-from-torch")
        quill.save(out, loaded.model, loaded.vocab, level="bpe")
        self.assertAlmostEqual(quill_cross_entropy(out, path), ours, delta=1e-4 * ours)
        self.assertEqual(json.loads(run("encode", out, path, "--json"))["ids"], ids)

    def test_adaptive_softmax_both_ways(self):
        # Quill's adaptive-softmax model loads as nn.AdaptiveLogSoftmaxWithLoss and scores as Quill does;
        # trained further in PyTorch on the module's own loss and saved, Quill reads it back and agrees.
        folder = os.path.join(self.dir, "adaptive")
        run("train", self.text, "--level", "word", "--out", folder, "--embed", "16", "--hidden", "16", "--batch", "4",
            "--seq-len", "16", "--max-steps", "20", "--adaptive-softmax", "6,12", "--adaptive-div", "2", "--quiet")
        loaded = quill.load(folder)
        self.assertIsInstance(loaded.model.decoder, torch.nn.AdaptiveLogSoftmaxWithLoss)
        held = quill.encode(read(self.held), loaded.vocab, "word")
        ours = quill.cross_entropy(loaded.model, held)
        self.assertAlmostEqual(ours, quill_cross_entropy(folder, self.held), delta=1e-4 * ours)
        model = loaded.model
        ids = torch.tensor(quill.encode(TEXT, loaded.vocab, "word"))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        model.train()
        for step in range(10):
            start = step * 32
            x, y = ids[start:start + 32].unsqueeze(1), ids[start + 1:start + 33]
            optimizer.zero_grad()
            hidden, _ = model.rnn(model.encoder(x))
            model.decoder(hidden.reshape(-1, model.hidden), y).loss.backward()
            optimizer.step()
        model.eval()
        out = os.path.join(self.dir, "adaptive-from-torch")
        quill.save(out, model, loaded.vocab, level="word")
        mine = quill.cross_entropy(model, held)
        self.assertAlmostEqual(quill_cross_entropy(out, self.held), mine, delta=1e-4 * mine)
        self.assertNotAlmostEqual(mine, ours, delta=1e-3)
        self.assertIn("adaptive softmax", run("info", out))

    def test_attention_module_matches_the_fixture_twin(self):
        # The parity fixtures were written by Tests/Fixtures/make_fixtures.py's Attention (a loop over
        # rows with explicit masks); quill.Attention is batched: same logits, memory and gradients.
        for name, cell, layers in (("lstm_attention_parity_memory", "lstm", 2), ("gru_attention_parity_short", "gru", 1)):
            path = os.path.join(ROOT, "Tests", "Fixtures", name + ".safetensors")
            t = load_file(path)
            with safe_open(path, framework="pt") as f:
                meta = f.metadata()
            vocab, memory = int(meta["vocab"]), int(meta["attention_memory"])
            model = quill.RNNModel(cell, vocab, int(meta["embed"]), int(meta["hidden"]), layers, attention_memory=memory)
            model.load_state_dict({k: v for k, v in t.items() if k in model.state_dict()})
            state = (t["h0"], t["c0"]) if cell == "lstm" else t["h0"]
            logits, (_, kept, lengths) = model(t["input"], (state, t["memory"], t["memory_lengths"]))
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), t["target"].reshape(-1))
            loss.backward()
            self.assertLess((logits - t["expected.logits"]).abs().max().item(), 1e-5, name)
            self.assertLess((kept - t["expected.memory"]).abs().max().item(), 1e-6, name)
            self.assertEqual(lengths.tolist(), t["expected.memory_lengths"].tolist(), name)
            for k, p in model.named_parameters():
                self.assertLess((p.grad - t["grad." + k]).abs().max().item(), 1e-5, f"{name}: {k}")

    def test_attention_models_round_trip(self):
        # Quill-trained attention models (two LSTM layers with the memory longer than perplexity's
        # windows; one GRU layer; three tanh layers) score in PyTorch as in Quill, read as one pass with the memory
        # carried; then one trained further in PyTorch comes back.
        char = os.path.join(self.dir, "attention-char")
        run("train", self.text, "--out", char, "--embed", "16", "--hidden", "32", "--batch", "8", "--seq-len", "32",
            "--max-steps", "40", "--attention", "--attention-memory", "80", "--quiet")
        gru = os.path.join(self.dir, "attention-gru")
        run("train", self.text, "--out", gru, "--cell", "gru", "--layers", "1", "--embed", "8", "--hidden", "24",
            "--batch", "4", "--seq-len", "16", "--max-steps", "30", "--attention", "--attention-memory", "20", "--quiet")
        # Three layers with dropout: the head's stacks must follow the model into evaluation mode.
        deep = os.path.join(self.dir, "attention-deep")
        run("train", self.text, "--out", deep, "--cell", "rnn-tanh", "--layers", "3", "--dropout", "0.2", "--embed", "8",
            "--hidden", "16", "--batch", "4", "--seq-len", "16", "--max-steps", "30", "--attention", "--attention-memory", "24",
            "--quiet")
        for folder, memory in ((char, 80), (gru, 20), (deep, 24)):
            loaded = quill.load(folder)
            self.assertEqual(loaded.model.attention_memory, memory)
            held = quill.encode(read(self.held), loaded.vocab, loaded.level)
            ours = quill.cross_entropy(loaded.model, held)
            self.assertAlmostEqual(ours, quill_cross_entropy(folder, self.held), delta=1e-4 * ours, msg=folder)
        loaded = quill.load(char)
        model, vocab = loaded.model, loaded.vocab
        held = quill.encode(read(self.held), vocab, "char")
        ids = torch.tensor(quill.encode(TEXT, vocab, "char"))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
        model.train()
        state = model.init_state(1)
        for step in range(20):
            start = (step * 64) % (len(ids) - 65)
            x, y = ids[start:start + 64].unsqueeze(1), ids[start + 1:start + 65]
            optimizer.zero_grad()
            logits, state = model(x, state)
            state = (tuple(s.detach() for s in state[0]), state[1], state[2])  # the memory comes back detached
            torch.nn.functional.cross_entropy(logits.squeeze(1), y).backward()
            optimizer.step()
        out = os.path.join(self.dir, "attention-from-torch")
        quill.save(out, model, vocab, level="char")
        ours = quill.cross_entropy(model, held)
        self.assertAlmostEqual(quill_cross_entropy(out, self.held), ours, delta=1e-4 * ours)
        self.assertNotAlmostEqual(quill_cross_entropy(char, self.held), ours, delta=1e-3)
        info = json.loads(run("info", out, "--json"))
        self.assertEqual(info["attention"]["memory"], 80)
        run("generate", out, "--prompt", "the ", "--length", "20")
        run("train", self.text, "--from", out, "--out", os.path.join(self.dir, "attention-tuned"), "--max-steps", "3",
            "--batch", "4", "--seq-len", "16", "--quiet")
        # A bf16 copy widens on loading, head included.
        bf16 = os.path.join(self.dir, "attention-bf16")
        run("quantize", out, bf16, "--to", "bf16")
        self.assertEqual(quill.load(bf16).model.attention_memory, 80)

    def test_vocabulary_export_matches(self):
        path = os.path.join(self.dir, "vocab.json")
        run("export-vocab", self.char, path)
        self.assertEqual(json.loads(read(path)), quill.load(self.char).vocab)

    def test_distributed_training_round_trip(self):
        out = os.path.join(self.dir, "ddp")
        result = subprocess.run([sys.executable, os.path.join(HERE, "train_ddp.py"), "--text", self.text, "--from", self.char,
                                 "--out", out, "--procs", "2", "--batch", "4", "--seq-len", "32", "--epochs", "1"],
                                capture_output=True, text=True, timeout=600)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("epoch 1", result.stdout)
        loaded = quill.load(out)
        held = quill.encode(read(self.held), loaded.vocab, loaded.level)
        ours = quill.cross_entropy(loaded.model, held)
        self.assertAlmostEqual(quill_cross_entropy(out, self.held), ours, delta=1e-4 * ours)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
