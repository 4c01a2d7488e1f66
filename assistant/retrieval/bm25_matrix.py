"""BM25's score matrix built from documents as they stream by, in flat int32 arrays.

The numbers are bm25s's own (its default ``lucene`` variant: k1 1.5, b 0.75, float32 scores
in a CSC docs × vocab matrix, rows ascending in each column; a test checks them bit for bit
against bm25s), without its memory: bm25s wants every document's list of term ids at once and
sorts the (doc, term) pairs through int64 copies, ~32 bytes a pair; a 100k-chunk rebuild
peaked ~200 MB higher with it (bench/RESULTS.md). Here each document adds its distinct term
ids and their counts to two flat arrays as it comes, and the columns are filled by a counting
sort once document frequencies are known: ~16 bytes a distinct (doc, term) pair at the peak,
8 in the result.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

K1 = 1.5
B = 0.75
PARAMS = {
    "k1": K1,
    "b": B,
    "delta": 0.5,
    "method": "lucene",
    "idf_method": "lucene",
    "dtype": "float32",
    "int_dtype": "int32",
    "backend": "numpy",
}
"""What bm25s records in ``params.index.json`` for these settings (so bm25s can load a
generation too)."""

_BLOCK = 1 << 16  # pairs scored at a time: float64 temporaries of 0.5 MB, not 8 bytes a pair


@dataclass(frozen=True, slots=True)
class Matrix:
    data: np.ndarray  # float32 scores, column after column
    indices: np.ndarray  # int32 row (document) of each score
    indptr: np.ndarray  # int64, len(vocab) + 1: column j is data[indptr[j]:indptr[j + 1]]
    vocab: dict[str, int]  # term -> column; "" (bm25s's empty token) past the last column
    num_docs: int


class MatrixBuilder:
    """Add documents' terms one by one, then ask for the matrix with the rows in any order."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self._terms = array("i")  # each document's distinct term ids, documents in turn
        self._counts = array("i")  # how often each of those occurs in its document
        self._ends = array("q")  # where each document's run ends in _terms
        self._lengths = array("q")  # each document's term count, repeats included

    def __len__(self) -> int:
        return len(self._lengths)

    @property
    def pairs(self) -> int:
        """Distinct (document, term) pairs so far: the matrix's non-zeros."""
        return len(self._terms)

    def add(self, terms: Sequence[str]) -> int:
        """Add one document (its terms in order, repeats kept); returns its number."""
        vocab = self.vocab
        counts = Counter(vocab.setdefault(t, len(vocab)) for t in terms)
        self._terms.extend(counts.keys())
        self._counts.extend(counts.values())
        self._ends.append(len(self._terms))
        self._lengths.append(len(terms))
        return len(self._lengths) - 1

    def build(self, order: Sequence[int]) -> Matrix:
        """The matrix whose row ``r`` is document ``order[r]`` (a permutation of them all).

        The builder is spent afterwards: its arrays are released as the matrix is made.
        """
        import numpy as np

        n_docs, n_vocab = len(self), len(self.vocab)
        rows = np.asarray(order, dtype=np.int64)
        if len(rows) != n_docs or (np.bincount(rows, minlength=n_docs) != 1).any():
            raise ValueError("order must list every document exactly once")
        ends = np.frombuffer(self._ends, dtype=np.int64)
        terms = np.frombuffer(self._terms, dtype=np.intc)
        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=n_vocab), out=indptr[1:])
        scores = self._scores(terms, ends, indptr)
        self._counts = self._lengths = array("q")  # not needed past the scores
        data = np.empty(len(terms), dtype=np.float32)
        indices = np.empty(len(terms), dtype=np.int32)
        cursor = indptr[:-1].copy()  # next free slot in each column: a counting sort
        for row, doc in enumerate(rows.tolist()):
            lo, hi = (int(ends[doc - 1]) if doc else 0), int(ends[doc])
            cols = terms[lo:hi]
            at = cursor[cols]
            indices[at] = row
            data[at] = scores[lo:hi]
            cursor[cols] += 1
        del ends, terms, scores, cursor, rows
        vocab, self.vocab = self.vocab, {}
        self._terms, self._ends = array("i"), array("q")
        if "" not in vocab:  # as bm25s does: the empty query token, past the last column
            vocab[""] = n_vocab
        return Matrix(data, indices, indptr, vocab, n_docs)

    def _scores(self, terms: np.ndarray, ends: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        """Each pair's score, in the order added, by bm25s's formula and float types."""
        import numpy as np

        out = np.empty(len(terms), dtype=np.float32)
        if not len(terms):
            return out
        lengths = np.frombuffer(self._lengths, dtype=np.int64)
        idf = _idf(np.diff(indptr).tolist(), len(lengths))
        # each document's k1 * ((1 - b) + b * l_d / l_avg), float64 as in bm25s
        norm = K1 * ((1 - B) + B * lengths / lengths.mean())
        counts = np.frombuffer(self._counts, dtype=np.intc)
        for lo in range(0, len(terms), _BLOCK):
            hi = min(lo + _BLOCK, len(terms))
            doc = np.searchsorted(ends, np.arange(lo, hi), side="right")
            tf = counts[lo:hi].astype(np.float32)
            out[lo:hi] = idf[terms[lo:hi]] * (tf / (norm[doc] + tf))
        return out


def _idf(doc_freqs: list[int], n_docs: int) -> np.ndarray:
    """bm25s's lucene idf, computed as it does (math.log in float64, stored as float32)."""
    import numpy as np

    idf = np.zeros(len(doc_freqs), dtype=np.float32)
    for col, df in enumerate(doc_freqs):
        if df:
            idf[col] = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    return idf
