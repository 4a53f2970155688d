# Reference for `bench/tokenizer.ts`: trains SentencePiece's BPE model (Debian's
# python3-sentencepiece) on the same corpus and prints {"seconds": ..., "vocab": ...}.
# Usage: /usr/bin/python3 bench/tokenizer_spm.py CORPUS VOCAB THREADS OUTDIR
import json
import os
import sys
import time

import sentencepiece as spm

corpus, vocab, threads, outdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(outdir, exist_ok=True)
start = time.perf_counter()
spm.SentencePieceTrainer.train(
    input=corpus,
    model_prefix=os.path.join(outdir, "spm"),
    model_type="bpe",
    vocab_size=vocab,
    num_threads=threads,
    character_coverage=0.9995,  # the setting SentencePiece recommends for Chinese/Japanese
    byte_fallback=True,
    input_sentence_size=0,  # all lines, as anvil uses the whole corpus
    max_sentence_length=16384,
    minloglevel=2,
)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "vocab": vocab, "threads": threads, "version": spm.__version__}))
