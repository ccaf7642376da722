#!/usr/bin/env python3
"""Checks that the tokenizer.json `quill export-vocab` writes for a bpe model is read by Hugging Face
`tokenizers` and encodes text to exactly Quill's ids (needs `tokenizers` and a built quill; not
run in CI):

    .venv/bin/pip install tokenizers
    [GPT2_DIR=folder-with-encoder.json-and-vocab.bpe] .venv/bin/python interop/pytorch/test_bpe_tokenizer.py [path/to/quill]

Trains a tiny bpe model on mixed text (accents, CJK, emoji, digits, contractions, runs of spaces,
tabs, Windows line ends), exports its tokenizer, and compares `quill encode` with
`Tokenizer.encode` on fixed and random texts, then decodes HF's ids back to the text; then trains a
tokenizer with tokenizers' own trainer, trains Quill on it (`--tokenizer`) and compares ids again;
with GPT2_DIR set, does the same with GPT-2's own vocabulary (50,257 tokens). quill.py's encoder
(from the checkpoint's merges and from each tokenizer.json) must give the same ids throughout.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import quill  # noqa: E402
QUILL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "quill")

ALPHABET = ["a", "b", "e", "t", "s", "d", "r", "T", " ", " ", " ", "\n", "\t", "'", ".", ",", "!", "1", "7", "é", "ß",
            "я", "中", "٣", "😀", "𝔸", "—", "\u00a0", "’", "\r\n", "x'll", "'re", "  "]
LINES = ["the keeper's lamp isn't lit; we'll see", "Ünïcödé — naïve café 😀 中文 ١٢٣", "  two  spaces\tand a tab",
         "numbers 12345 and 3.14159", "CAPS'LL and 'RE and ''s"]


def run(*args):
    out = subprocess.run([QUILL, *args], capture_output=True)
    if out.returncode != 0:
        raise AssertionError(f"quill {' '.join(args)} failed: {out.stderr.decode()}")
    return out.stdout.decode("utf-8")


class BytePairTokenizerJSON(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="quill-bpe-")
        rng = random.Random(29)
        text = "\r\n".join(LINES[i % len(LINES)] for i in range(400)) + "".join(rng.choice(ALPHABET) for _ in range(4000))
        cls.corpus = cls.write("corpus.txt", text)
        cls.model = os.path.join(cls.dir, "model")
        run("train", cls.corpus, "--level", "bpe", "--vocab-size", "600", "--out", cls.model, "--embed", "8", "--hidden", "8",
            "--batch", "2", "--seq-len", "8", "--max-steps", "1", "--quiet")
        cls.tokenizer_path = os.path.join(cls.dir, "tokenizer.json")
        run("export-vocab", cls.model, cls.tokenizer_path)
        cls.tokenizer = Tokenizer.from_file(cls.tokenizer_path)

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.dir, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def texts(self):
        rng = random.Random(7)
        yield from LINES
        yield "\n".join(LINES) + "\n\n  \n"
        yield "line one\r\nline two\r\n"
        for n in (1, 2, 5, 40, 300, 3000):
            for _ in range(5):
                text = "".join(rng.choice(ALPHABET) for _ in range(n))
                if text.strip():
                    yield text

    def test_hugging_face_encodes_to_quills_ids(self):
        # quill.py too, from the checkpoint's merges and from the exported tokenizer.json.
        from_checkpoint = quill.load(self.model).vocab
        from_json = quill.BytePairVocab.from_tokenizer_json(self.tokenizer_path)
        checked = 0
        for i, text in enumerate(self.texts()):
            path = self.write(f"text{i}.txt", text)
            quill_ids = json.loads(run("encode", self.model, path, "--json"))["ids"]
            hf_ids = self.tokenizer.encode(text).ids
            self.assertEqual(hf_ids, quill_ids, repr(text[:80]))
            self.assertEqual(self.tokenizer.decode(hf_ids), text.replace("\r\n", "\n"))
            self.assertEqual(from_checkpoint.encode(text), quill_ids, repr(text[:80]))
            self.assertEqual(from_json.encode(text), quill_ids, repr(text[:80]))
            self.assertEqual(from_checkpoint.decode(quill_ids), text.replace("\r\n", "\n"))
            checked += 1
        print(f"{checked} texts encode to the same ids in Quill and tokenizers", file=sys.stderr)

    def test_quill_trains_on_a_tokenizer_made_by_hugging_face(self):
        # tokenizers' own trainer orders its vocab otherwise (specials, then the byte alphabet by
        # character, then merges), as GPT-2's tokenizer.json does: Quill keeps those ids.
        from tokenizers import decoders, models, pre_tokenizers, trainers
        hf = Tokenizer(models.BPE())
        hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        hf.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["<|endoftext|>"], show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        hf.train([self.corpus], trainer)
        path_json = os.path.join(self.dir, "hf-tokenizer.json")
        hf.save(path_json)
        model = os.path.join(self.dir, "from-hf")
        run("train", self.corpus, "--level", "bpe", "--tokenizer", path_json, "--out", model, "--embed", "8", "--hidden", "8",
            "--batch", "2", "--seq-len", "8", "--max-steps", "1", "--quiet")
        from_json = quill.BytePairVocab.from_tokenizer_json(path_json)
        checked = 0
        for i, text in enumerate(self.texts()):
            if "\r" in text:
                continue  # this tokenizer has no CR LF normalizer; Quill reads CR LF as LF
            path = self.write(f"hf{i}.txt", text)
            ids = hf.encode(text).ids
            self.assertEqual(json.loads(run("encode", model, path, "--json"))["ids"], ids, repr(text[:80]))
            self.assertEqual(from_json.encode(text), ids, repr(text[:80]))
            checked += 1
        print(f"{checked} texts encode to the same ids with tokenizers' own tokenizer.json in Quill", file=sys.stderr)

    @unittest.skipUnless(os.environ.get("GPT2_DIR"), "set GPT2_DIR to a folder with GPT-2's encoder.json and vocab.bpe")
    def test_gpt2s_own_vocabulary(self):
        # GPT-2's files as OpenAI published them, made into a tokenizer.json by tokenizers itself.
        from tokenizers import decoders, models, pre_tokenizers
        folder = os.environ["GPT2_DIR"]
        hf = Tokenizer(models.BPE.from_file(os.path.join(folder, "encoder.json"), os.path.join(folder, "vocab.bpe")))
        hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        hf.decoder = decoders.ByteLevel()
        path_json = os.path.join(self.dir, "gpt2-tokenizer.json")
        hf.save(path_json)
        self.assertEqual(hf.get_vocab_size(), 50257)
        model = os.path.join(self.dir, "gpt2")
        run("train", self.corpus, "--level", "bpe", "--tokenizer", path_json, "--out", model, "--embed", "4", "--hidden", "4",
            "--batch", "2", "--seq-len", "8", "--max-steps", "1", "--quiet")
        from_json = quill.BytePairVocab.from_tokenizer_json(path_json)
        checked = 0
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            texts = list(self.texts()) + [f.read()]
        for i, text in enumerate(texts):
            if "\r" in text:
                continue  # no CR LF normalizer here; Quill reads CR LF as LF
            path = self.write(f"gpt2-{i}.txt", text)
            ids = hf.encode(text).ids
            self.assertEqual(json.loads(run("encode", model, path, "--json"))["ids"], ids, repr(text[:80]))
            self.assertEqual(from_json.encode(text), ids, repr(text[:80]))
            checked += 1
        self.assertEqual(hf.encode("Hello world").ids, [15496, 995])  # GPT-2's well-known ids
        print(f"{checked} texts encode to the same ids with GPT-2's vocabulary in Quill, quill.py and tokenizers", file=sys.stderr)

    def test_vocabulary_and_specials(self):
        info = json.loads(run("info", self.model, "--json"))
        self.assertEqual(self.tokenizer.get_vocab_size(), info["vocabulary_size"])
        self.assertEqual(self.tokenizer.token_to_id("<pad>"), 0)
        self.assertEqual(self.tokenizer.token_to_id("Ġ"), 1 + 32)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
