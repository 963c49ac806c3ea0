"""Tests for stratified block randomization, stratum draws and accrual times (DESIGN.md section 1).

The compiled ``assign_arms`` must make the same random calls as its plain-Python twin
``assign_arms_reference``; the sequences must keep the block structure within every stratum;
strata and arrivals must follow the configured distributions (Monte Carlo, fixed seeds, 3 SE).
"""

import numpy as np
import pytest
from numba import njit
from scipy.stats import chisquare

from seamless.config import parse_study
from seamless.sim.kernel_design import GUIDE_CELLS, kernel_design, stratum_guide, stratum_table
from seamless.sim.patients import allocate_patients, draw_patients, entry_times
from seamless.sim.randomization import assign_arms, assign_arms_reference, expand_blocks
from seamless.sim.stream import load, new_state, store, uniform

# SUCCESSOR-2 stage-1 super-block in arm-code order (0 = control, 1..3 = doses): one block 1:1:1 to the doses,
# two blocks 1:1:1:1 (config order doses-first is [[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 1, 1]]).
SUCCESSOR2_BLOCKS = [[0, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]
STAGE2_BLOCK = [[2, 3]]  # control, selected dose: 3:2 selected:control, blocks of 5
DOSE_BLOCK = [1, 2, 3]
FULL_BLOCK = [0, 1, 2, 3]

BLOCK_STRUCTURES = {
    "successor2_superblock": SUCCESSOR2_BLOCKS,
    "stage2_block_of_5": STAGE2_BLOCK,
    "two_arm_1_1": [[1, 1]],
    "one_block_2_2_1": [[2, 2, 1]],
    "unequal_blocks": [[1, 0, 2], [0, 3, 1], [2, 2, 2]],
}


def _strata(seed: int, n: int, n_strata: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n_strata, size=n).astype(np.int64)


@njit
def _assign_arms(state, stratum, n_strata, codes, offsets, sequence, position, block_order, arms):
    store(state, assign_arms(load(state), stratum, n_strata, codes, offsets, sequence, position, block_order, arms))


@njit
def _next_uniform(state):
    u, s = uniform(load(state))
    store(state, s)
    return u


def _kernel_arms(state, stratum: np.ndarray, n_strata: int, blocks) -> np.ndarray:
    """Call the compiled kernel on stream state ``state`` (advanced) with freshly allocated scratch space."""
    codes, offsets = expand_blocks(np.array(blocks))
    sequence = np.zeros((n_strata, codes.size), np.int64)
    position = np.zeros(n_strata, np.int64)
    block_order = np.zeros(offsets.size, np.int64)
    arms = np.full(stratum.size, -1, np.int64)
    _assign_arms(state, stratum, n_strata, codes, offsets, sequence, position, block_order, arms)
    return arms


def _state(seed: int) -> np.ndarray:
    return new_state(np.random.SeedSequence(seed))


def _per_stratum(arms: np.ndarray, stratum: np.ndarray, n_strata: int) -> list[np.ndarray]:
    return [arms[stratum == h] for h in range(n_strata)]


def _is_successor2_superblock(chunk: np.ndarray) -> bool:
    """Is ``chunk`` (11 arm codes) the three blocks of the super-block, in some order?"""
    for sizes in ([3, 4, 4], [4, 3, 4], [4, 4, 3]):
        bounds = np.cumsum([0, *sizes])
        pieces = [sorted(chunk[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        wanted = [DOSE_BLOCK if size == 3 else FULL_BLOCK for size in sizes]
        if pieces == wanted:
            return True
    return False


def test_expand_blocks_of_the_successor2_superblock():
    codes, offsets = expand_blocks(np.array(SUCCESSOR2_BLOCKS))
    assert codes.tolist() == [1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]
    assert offsets.tolist() == [0, 3, 7, 11]
    assert codes.dtype == np.int64 and offsets.dtype == np.int64


@pytest.mark.parametrize("blocks", BLOCK_STRUCTURES.values(), ids=BLOCK_STRUCTURES.keys())
@pytest.mark.parametrize("n_strata", [1, 2, 5, 12])
def test_kernel_matches_reference(blocks, n_strata):
    seed = 1000 * n_strata + len(blocks)
    stratum = _strata(seed, 500, n_strata)
    state, rng_reference = _state(seed), np.random.Generator(np.random.SFC64(seed))
    got = _kernel_arms(state, stratum, n_strata, blocks)
    want = assign_arms_reference(rng_reference, stratum, n_strata, blocks)
    np.testing.assert_array_equal(got, want)
    # Both consumed the stream identically: the next draws agree.
    assert _next_uniform(state) == rng_reference.random()


def test_kernel_matches_reference_on_unbalanced_strata():
    # Almost everyone in stratum 0, a few in stratum 3, none in stratum 1 and 2.
    stratum = np.array([0] * 40 + [3] + [0] * 17 + [3, 3], dtype=np.int64)
    got = _kernel_arms(_state(5), stratum, 4, SUCCESSOR2_BLOCKS)
    want = assign_arms_reference(np.random.Generator(np.random.SFC64(5)), stratum, 4, SUCCESSOR2_BLOCKS)
    np.testing.assert_array_equal(got, want)


def test_kernel_design_builds_the_successor2_superblock(default_text):
    design = parse_study(default_text, "t").scenarios[0].design
    d = kernel_design(design).enrolment
    codes, offsets = expand_blocks(np.array(SUCCESSOR2_BLOCKS))
    np.testing.assert_array_equal(d.stage1_codes, codes)
    np.testing.assert_array_equal(d.stage1_offsets, offsets)
    stage2_codes, stage2_offsets = expand_blocks(np.array(STAGE2_BLOCK))
    np.testing.assert_array_equal(d.stage2_codes, stage2_codes)
    np.testing.assert_array_equal(d.stage2_offsets, stage2_offsets)


def test_assign_arms_is_reproducible():
    stratum = _strata(11, 400, 12)
    first = _kernel_arms(_state(2024), stratum, 12, SUCCESSOR2_BLOCKS)
    second = _kernel_arms(_state(2024), stratum, 12, SUCCESSOR2_BLOCKS)
    other = _kernel_arms(_state(2025), stratum, 12, SUCCESSOR2_BLOCKS)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("n_strata", [1, 3, 12])
def test_every_completed_superblock_is_balanced(n_strata):
    stratum = _strata(n_strata, 3000, n_strata)
    arms = _kernel_arms(_state(77 + n_strata), stratum, n_strata, SUCCESSOR2_BLOCKS)
    complete = 0
    for sequence in _per_stratum(arms, stratum, n_strata):
        for start in range(0, sequence.size - 10, 11):
            chunk = sequence[start:start + 11]
            assert np.bincount(chunk, minlength=4).tolist() == [2, 3, 3, 3]
            assert _is_successor2_superblock(chunk), chunk.tolist()
            complete += 1
    assert complete >= 3000 // 11 - n_strata


def test_superblock_orders_and_permutations_all_occur():
    # The block order and the permutations within blocks are random: all three positions of the
    # dose-only block, and many distinct super-blocks, appear.
    stratum = np.zeros(11 * 600, np.int64)
    arms = _kernel_arms(_state(3), stratum, 1, SUCCESSOR2_BLOCKS).reshape(-1, 11)
    dose_block_first = np.all(arms[:, :3] != 0, axis=1)
    dose_block_last = np.all(arms[:, 8:] != 0, axis=1)
    assert dose_block_first.any() and dose_block_last.any() and (~dose_block_first & ~dose_block_last).any()
    assert len({tuple(row) for row in arms}) > 500


@pytest.mark.parametrize("n_strata", [1, 12])
def test_every_completed_stage2_block_has_two_controls(n_strata):
    stratum = _strata(40 + n_strata, 2000, n_strata)
    arms = _kernel_arms(_state(n_strata), stratum, n_strata, STAGE2_BLOCK)
    for sequence in _per_stratum(arms, stratum, n_strata):
        complete = sequence[: sequence.size // 5 * 5].reshape(-1, 5)
        assert np.all((complete == 0).sum(axis=1) == 2)
        assert np.all((complete == 1).sum(axis=1) == 3)


# --- draw_patients: strata and arms of whole trials


@pytest.fixture(scope="module")
def null_kernel_design(default_text):
    design = next(s for s in parse_study(default_text, "t").scenarios if s.name == "null").design
    return design, kernel_design(design).enrolment


def _draw_trials(d, n_trials: int, seed: int):
    """Strata and arms of ``n_trials`` trials, (n_trials, n1 + n2) each."""
    n = d.stage1_patients + d.stage2_patients
    raw, scratch = allocate_patients(d)
    state = _state(seed)
    strata, arms = np.empty((n_trials, n), np.int64), np.empty((n_trials, n), np.int64)
    for trial in range(n_trials):
        draw_patients(state, d, raw, scratch)
        strata[trial], arms[trial] = raw.stratum, raw.arm
    return strata, arms


@pytest.fixture(scope="module")
def drawn_trials(null_kernel_design):
    _, d = null_kernel_design
    return _draw_trials(d, 1000, seed=20261123)


@pytest.mark.parametrize("probabilities", [[1.0], [0.5, 0.5], [0.3, 0.0, 0.2, 0.5], [0.001] * 12 + [0.988],
                                           [0.988] + [0.001] * 12])
def test_stratum_guide_starts_each_cell_at_its_first_possible_stratum(probabilities):
    cumprob = np.cumsum(probabilities)
    cumprob[-1] = 1.0
    guide = stratum_guide(cumprob)
    for g in range(GUIDE_CELLS):
        first_above = [h for h in range(cumprob.size) if cumprob[h] > g / GUIDE_CELLS]
        assert guide[g] == (first_above[0] if first_above else cumprob.size - 1)


def test_stratum_frequencies_match_the_configured_probabilities(null_kernel_design, drawn_trials):
    design, d = null_kernel_design
    labels, probs, _ = stratum_table(design)
    assert len(labels) == 12 and d.stratum_cumprob.size == 12
    strata, _ = drawn_trials
    observed = np.bincount(strata.ravel(), minlength=12)
    assert observed.size == 12
    result = chisquare(observed, probs * observed.sum())
    assert result.pvalue > 0.001, (result, observed)


def test_marginal_share_of_age_over_70(null_kernel_design, drawn_trials):
    design, _ = null_kernel_design
    labels, _, _ = stratum_table(design)
    over_70 = np.array(["age=>70" in label for label in labels])
    assert over_70.sum() == 6
    strata, _ = drawn_trials
    n = strata.size
    share = over_70[strata].mean()
    se = np.sqrt(0.42 * 0.58 / n)
    assert abs(share - 0.42) < 3 * se, (share, se)


def test_drawn_arms_keep_the_block_structure(null_kernel_design, drawn_trials):
    _, d = null_kernel_design
    n1 = d.stage1_patients
    strata, arms = drawn_trials
    for trial in range(50):
        stage1 = _per_stratum(arms[trial, :n1], strata[trial, :n1], 12)
        stage2 = _per_stratum(arms[trial, n1:], strata[trial, n1:], 12)
        for sequence in stage1:
            for start in range(0, sequence.size - 10, 11):
                assert _is_successor2_superblock(sequence[start:start + 11])
        for sequence in stage2:
            complete = sequence[: sequence.size // 5 * 5].reshape(-1, 5)
            assert np.all((complete == 0).sum(axis=1) == 2)
    assert set(np.unique(arms[:, :n1])) == {0, 1, 2, 3}
    assert set(np.unique(arms[:, n1:])) == {0, 1}


# --- entry_times: piecewise-constant Poisson accrual


RATES = np.array([8.0, 20.0])
STARTS = np.array([0.0, 6.0])  # 8 per month until month 6, then 20 per month: Lambda(6) = 48


def _entry_times(start: float, gaps) -> np.ndarray:
    gaps = np.asarray(gaps, dtype=np.float64)
    out = np.full(gaps.size, np.nan)
    entry_times(start, gaps, RATES, STARTS, out)
    return out


@pytest.mark.parametrize(
    ("start", "gaps", "expected"),
    [
        (0.0, [48.0], [6.0]),             # Lambda(t) = 48 exactly at the change
        (0.0, [58.0], [6.5]),             # 48 + 20 * 0.5
        (0.0, [8.0, 20.0, 20.0, 10.0], [1.0, 3.5, 6.0, 6.5]),  # cumulative gaps 8, 28, 48, 58
        (0.0, [4.0], [0.5]),              # first piece: 4 / 8
        (2.0, [40.0], [6.4]),             # Lambda(2) = 16; 16 + 40 = 56 = 48 + 20 * 0.4
        (2.0, [24.0], [5.0]),             # 16 + 24 = 40 = 8 * 5
        (10.0, [10.0, 30.0], [10.5, 12.0]),  # after the change: 20 per month from month 10
    ],
)
def test_entry_times_hand_computed(start, gaps, expected):
    np.testing.assert_allclose(_entry_times(start, gaps), expected, rtol=1e-12)


def test_entry_times_single_rate():
    out = np.empty(3)
    entry_times(1.0, np.array([5.0, 5.0, 10.0]), np.array([10.0]), np.array([0.0]), out)
    np.testing.assert_allclose(out, [1.5, 2.0, 3.0], rtol=1e-12)


def test_arrivals_by_month_6_are_poisson_48():
    replicates, lam = 4000, 48.0
    rng = np.random.default_rng(6)
    counts, later = np.empty(replicates), np.empty(replicates)
    for r in range(replicates):
        times = _entry_times(0.0, rng.standard_exponential(200))  # 200 arrivals always pass month 8
        assert times[-1] > 8.0
        counts[r] = np.count_nonzero(times <= 6.0)
        later[r] = np.count_nonzero((times > 6.0) & (times <= 8.0))
    mean_se = np.sqrt(lam / replicates)
    assert abs(counts.mean() - lam) < 3 * mean_se, counts.mean()
    # Poisson: variance = mean; SE of the sample variance is sqrt((mu4 - sigma^4) / n) = sqrt((lam + 2 lam^2) / n).
    var_se = np.sqrt((lam + 2 * lam**2) / replicates)
    assert abs(counts.var(ddof=1) - lam) < 3 * var_se, counts.var(ddof=1)
    # Arrivals in months 6..8 (second piece, 20 per month): Poisson(40), independent of those before.
    assert abs(later.mean() - 40.0) < 3 * np.sqrt(40.0 / replicates), later.mean()
    assert abs(np.corrcoef(counts, later)[0, 1]) < 3 / np.sqrt(replicates)
