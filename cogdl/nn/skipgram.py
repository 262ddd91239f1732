"""Skip-gram with negative sampling or hierarchical softmax over node sequences, through gensim.

Mikolov et al., "Distributed Representations of Words and Phrases and their Compositionality",
NeurIPS 2013: for each node u of a walk and each node v within `window` positions of it, maximise
    log sigma(z_v' . z_u) + sum_{k=1..negative} E_{n ~ P(n) ∝ count(n)^0.75} log sigma(-z_n' . z_u)
(or the hierarchical softmax's log-probability of v). DeepWalk and node2vec train exactly this on
their walks.

We use gensim's `Word2Vec` (C routines, all cores) rather than our own: on BlogCatalog's walks it
trains about 260 k walk positions a second on this project's 2-core CPU (window 10), which no
PyTorch loop of ours came near. Its threads update the shared vectors without locks (Hogwild), so
the vectors repeat bit for bit only with `workers=1` (the models' default; `workers=0` uses every
core); the walks themselves always repeat.
"""

from __future__ import annotations

import os

import numpy as np


class WalkCorpus:
    """The walks `[W, L]` (-1 after a dead end) as gensim sentences: lists of node-id strings."""

    def __init__(self, walks: np.ndarray, num_nodes: int, chunk: int = 8192):
        self.walks, self.chunk = walks, chunk
        self.names = np.array([str(i) for i in range(num_nodes)], dtype=object)

    def __iter__(self):
        for begin in range(0, self.walks.shape[0], self.chunk):
            block = self.walks[begin:begin + self.chunk]
            if (block < 0).any():
                yield from (self.names[row[row >= 0]].tolist() for row in block)
            else:
                yield from self.names[block].tolist()


def skipgram(walks: np.ndarray, num_nodes: int, dim: int, window: int, negative: int, epochs: int,
             workers: int, seed: int, hierarchical_softmax: bool = False) -> np.ndarray:
    """`[num_nodes, dim]` skip-gram vectors of the nodes of `walks` (zeros for a node no walk visits).

    Args:
        negative: negative samples per positive pair (0 with `hierarchical_softmax`).
        workers: gensim threads; 0 means every core.
    """
    from gensim.models import Word2Vec

    model = Word2Vec(WalkCorpus(walks, num_nodes), vector_size=dim, window=window, min_count=0, sg=1,
                     hs=int(hierarchical_softmax), negative=0 if hierarchical_softmax else negative, epochs=epochs,
                     workers=workers or os.cpu_count() or 1, seed=seed)
    vectors = np.zeros((num_nodes, dim), dtype=np.float32)
    keys = np.array([int(k) for k in model.wv.index_to_key], dtype=np.int64)
    vectors[keys] = model.wv.vectors
    return vectors
