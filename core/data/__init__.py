"""The Training page's task, makemore's: predict the next character of a name from the
three before it.

`names.txt` holds 5163 US first names (public domain, 1990 Census; how it is made and
where from: `core.data.make_names`). The vocabulary is "." (start and end of a name)
and a-z: 27 tokens. Each name gives one example per character and one for its end:

>>> ctx, nxt = examples(["emma"])
>>> [decode(c) + " -> " + decode([n]) for c, n in zip(ctx, nxt)]
['... -> e', '..e -> m', '.em -> m', 'emm -> a', 'mma -> .']

`load(split_seed)` shuffles the names with that seed and splits them 90/10 into
training and validation names, so no name is in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

NAMES_FILE = Path(__file__).with_name("names.txt")
VOCAB = "." + "abcdefghijklmnopqrstuvwxyz"
TOKENS = len(VOCAB)            # 27
BLOCK = 3                      # characters of context
VALID_SHARE = 0.1


def encode(text: str) -> list[int]:
    return [VOCAB.index(c) for c in text]


def decode(tokens) -> str:
    return "".join(VOCAB[int(t)] for t in tokens)


def examples(names, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """(contexts (n, block), next tokens (n,)) as int arrays, every name padded with dots."""
    ctx, nxt = [], []
    for name in names:
        window = [0] * block
        for t in encode(name) + [0]:
            ctx.append(window)
            nxt.append(t)
            window = window[1:] + [t]
    return np.array(ctx, dtype=np.intp).reshape(-1, block), np.array(nxt, dtype=np.intp)


@dataclass(frozen=True)
class Dataset:
    train_x: np.ndarray         # (n_train, BLOCK) token contexts
    train_y: np.ndarray         # (n_train,) next tokens
    valid_x: np.ndarray
    valid_y: np.ndarray
    split_seed: int


def names() -> list[str]:
    return NAMES_FILE.read_text().split()


@lru_cache(maxsize=4)
def load(split_seed: int = 0) -> Dataset:
    """The examples of the training names and of the validation names (read-only)."""
    order = np.random.default_rng(split_seed).permutation(sorted(names()))
    cut = int(round(len(order) * (1 - VALID_SHARE)))
    tx, ty = examples(order[:cut])
    vx, vy = examples(order[cut:])
    for a in (tx, ty, vx, vy):
        a.setflags(write=False)
    return Dataset(tx, ty, vx, vy, split_seed)
