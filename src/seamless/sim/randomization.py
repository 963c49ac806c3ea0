"""Stratified block randomization: super-blocks of permuted blocks, one sequence per stratum.

A super-block is a list of blocks (arm counts); each time a stratum's sequence runs out, a
new super-block is made: the blocks in random order, each block a random permutation of its
arms (DESIGN.md section 1, "stage-1 blocks"). A plain permuted block is a super-block of one.
"""

import numpy as np

from seamless._jit import kernel
from seamless.sim.stream import integer_below

__all__ = ["expand_blocks", "assign_arms", "assign_arms_reference"]


def expand_blocks(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blocks of arm counts (n_blocks, n_arms) -> (arm codes of each block concatenated, block offsets)."""
    blocks = np.asarray(blocks, dtype=np.int64)
    codes = np.concatenate([np.repeat(np.arange(blocks.shape[1]), row) for row in blocks])
    offsets = np.concatenate([[0], np.cumsum(blocks.sum(axis=1))]).astype(np.int64)
    return codes.astype(np.int64), offsets


@kernel
def _shuffle(s, values):
    """Fisher-Yates shuffle in place, drawing integers(0, k + 1) for k = size - 1 down to 1 from stream
    state s; returns the new state."""
    for k in range(values.size - 1, 0, -1):
        j, s = integer_below(s, k + 1)
        values[k], values[j] = values[j], values[k]
    return s


@kernel
def assign_arms(s, stratum, n_strata, codes, offsets, sequence, position, block_order, arm_out):
    """Arm of each patient, in order of arrival, from its stratum's running super-block sequence.

    stratum: (n,) stratum of each patient; sequence: (n_strata, super-block length) scratch;
    position: (n_strata,) scratch; block_order: (n_blocks,) scratch; arm_out: (n,) result. Draws from
    stream state s (`seamless.sim.stream`); returns the new state.
    """
    length, n_blocks = codes.size, offsets.size - 1
    for h in range(n_strata):
        position[h] = length
    for i in range(stratum.size):
        h = stratum[i]
        if position[h] == length:
            # A new super-block for stratum h: the blocks in random order, each block permuted.
            for b in range(n_blocks):
                block_order[b] = b
            s = _shuffle(s, block_order[:n_blocks])
            end = 0
            for q in range(n_blocks):
                b, start = block_order[q], end
                for k in range(offsets[b], offsets[b + 1]):
                    sequence[h, end] = codes[k]
                    end += 1
                s = _shuffle(s, sequence[h, start:end])
            position[h] = 0
        arm_out[i] = sequence[h, position[h]]
        position[h] += 1
    return s


def assign_arms_reference(rng, stratum, n_strata, blocks):
    """Plain-Python twin of ``assign_arms``: same random calls in the same order."""
    blocks = [list(map(int, row)) for row in np.asarray(blocks)]
    pending = {h: [] for h in range(n_strata)}
    arms = []
    for h in stratum:
        if not pending[h]:
            order = list(range(len(blocks)))
            _reference_shuffle(rng, order)
            superblock = []
            for b in order:
                block = [arm for arm, count in enumerate(blocks[b]) for _ in range(count)]
                _reference_shuffle(rng, block)
                superblock += block
            pending[h] = superblock
        arms.append(pending[h].pop(0))
    return np.array(arms, dtype=np.int64)


def _reference_shuffle(rng, values):
    for i in range(len(values) - 1, 0, -1):
        j = int(rng.integers(0, i + 1))
        values[i], values[j] = values[j], values[i]
