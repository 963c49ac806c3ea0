"""Short-term endpoints of each patient: objective response and toxicity, tied to PFS by a Gaussian
copula (EXTENSIONS.md section 2), and what the selection analysis can see of them.

With E the patient's PFS unit exponential and N1, N2 independent standard normals (drawn for the
stage-1 patients, `seamless.sim.patients`):
X_pfs = Phi^-1(1 - exp(-E)), X_resp = rho_rp X_pfs + sqrt(1 - rho_rp^2) N1,
X_tox = rho_rt X_resp + sqrt(1 - rho_rt^2) N2; a responder has X_resp > Phi^-1(1 - p_resp[arm]),
a toxicity X_tox > Phi^-1(1 - p_tox[arm]). The PFS margin is untouched.

At the selection analysis A1 (calendar time tau): response is assessed ``response_months`` after
entry, if that date is by tau; a patient whose PFS event comes before it is a non-responder, one who
drops out before it (and before an event) is not assessed. Toxicity is observed within
``toxicity_window_months`` after entry, for patients whose window has ended by tau (the time of a
toxicity within the window is not modelled). Holds the [endpoints] table, the compiled counts and
their plain twin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from seamless._jit import inline_kernel, kernel
from seamless._schema import ConfigError, Table, list_of, number
from seamless.stats.normal import exponential_normal_score

__all__ = ["Endpoints", "read_endpoints", "EndpointsKernel", "endpoints_kernel", "latent_response",
           "observe_endpoints", "observe_endpoints_reference"]

_MONTHS = (0.0, 1200.0)
_CORRELATION = number(-1, 1, lo_open=True, hi_open=True, what="a correlation in (-1, 1)")


@dataclass(frozen=True)
class Endpoints:
    """The [endpoints] table: per arm (doses..., then control) probabilities, and their timing."""

    response_probabilities: tuple[float, ...] | None = None  # None: response not modelled
    response_months: float = 2.0                             # assessment, months after entry
    response_pfs_correlation: float = 0.0                    # rho_rp of the Gaussian copula
    toxicity_probabilities: tuple[float, ...] | None = None  # None: toxicity not modelled
    toxicity_window_months: float = 1.0                      # observed within, months after entry
    response_toxicity_correlation: float = 0.0               # rho_rt

    @property
    def modelled(self) -> bool:
        return self.response_probabilities is not None or self.toxicity_probabilities is not None


def read_endpoints(t: Table, n_doses: int) -> Endpoints:
    """The [endpoints] table ``t``, checked."""
    probabilities = {}
    for key in ("response_probabilities", "toxicity_probabilities"):
        probabilities[key] = t.get(key, list_of(number(0, 1, what="a probability in [0, 1]")), None)
        if probabilities[key] is not None and len(probabilities[key]) != n_doses + 1:
            raise ConfigError(f"{t.name(key)}: needs {n_doses + 1} entries (doses, then control), "
                              f"got {len(probabilities[key])}")
    return Endpoints(
        response_probabilities=probabilities["response_probabilities"],
        response_months=t.get("response_months", number(*_MONTHS, lo_open=True), 2.0),
        response_pfs_correlation=t.get("response_pfs_correlation", _CORRELATION, 0.0),
        toxicity_probabilities=probabilities["toxicity_probabilities"],
        toxicity_window_months=t.get("toxicity_window_months", number(*_MONTHS, lo_open=True), 1.0),
        response_toxicity_correlation=t.get("response_toxicity_correlation", _CORRELATION, 0.0),
    )


class EndpointsKernel(NamedTuple):
    """The endpoints as the compiled trial sees them (thresholds by arm code, 0 = control)."""

    response_threshold: np.ndarray   # (D + 1,) Phi^-1(1 - p); +inf: never (p = 0 or not modelled)
    response_months: float
    response_pfs_correlation: float
    toxicity_threshold: np.ndarray   # (D + 1,)
    toxicity_window_months: float
    response_toxicity_correlation: float


def _thresholds(probabilities, n_doses: int) -> np.ndarray:
    """Phi^-1(1 - p) by arm code (control first); +inf when not modelled."""
    if probabilities is None:
        return np.full(n_doses + 1, np.inf)
    by_code = (probabilities[-1], *probabilities[:-1])
    return np.array([NormalDist().inv_cdf(1 - p) if 0 < p < 1 else (math.inf if p == 0 else -math.inf)
                     for p in by_code])


def endpoints_kernel(endpoints: Endpoints, n_doses: int) -> EndpointsKernel:
    return EndpointsKernel(_thresholds(endpoints.response_probabilities, n_doses), endpoints.response_months,
                           endpoints.response_pfs_correlation, _thresholds(endpoints.toxicity_probabilities, n_doses),
                           endpoints.toxicity_window_months, endpoints.response_toxicity_correlation)


@inline_kernel
def latent_response(rho, event_unit, response_normal):
    """X_resp = rho X_pfs + sqrt(1 - rho^2) N1, with X_pfs = Phi^-1(1 - exp(-E)) (not computed when rho = 0)."""
    x_pfs = exponential_normal_score(event_unit) if rho != 0.0 else 0.0
    return rho * x_pfs + math.sqrt(1.0 - rho * rho) * response_normal


@kernel
def observe_endpoints(model, tau, entry, event_time, dropout_time, arm, event_unit, response_normal,
                      toxicity_normal, responders, response_assessed, toxicities, toxicity_assessed):
    """Add up, by dose (arm code d into index d - 1), what A1 at calendar time ``tau`` sees of the
    responses and toxicities of the first ``response_normal.size`` (stage-1) patients."""
    rho_rt = model.response_toxicity_correlation
    spread_rt = math.sqrt(1.0 - rho_rt * rho_rt)
    months, window = model.response_months, model.toxicity_window_months
    for i in range(response_normal.size):
        a = arm[i]
        if a == 0:  # control: not counted, its latent values not needed
            continue
        x_response = latent_response(model.response_pfs_correlation, event_unit[i], response_normal[i])
        if entry[i] + months <= tau and not (dropout_time[i] < min(event_time[i], months)):
            response_assessed[a - 1] += 1
            responders[a - 1] += (event_time[i] > months) & (x_response > model.response_threshold[a])
        if entry[i] + window <= tau:
            toxicity_assessed[a - 1] += 1
            x_toxicity = rho_rt * x_response + spread_rt * toxicity_normal[i]
            toxicities[a - 1] += x_toxicity > model.toxicity_threshold[a]


def observe_endpoints_reference(endpoints: Endpoints, n_doses: int, tau, entry, event_time, dropout_time, arm,
                                event_unit, response_normal, toxicity_normal) -> dict[str, np.ndarray]:
    """Plain twin of `observe_endpoints`, from the `Endpoints` itself: counts by dose (index d - 1)."""
    from scipy.stats import norm

    n = len(response_normal)
    arm, entry = np.asarray(arm[:n]), np.asarray(entry[:n])
    event_time, dropout_time = np.asarray(event_time[:n]), np.asarray(dropout_time[:n])
    rho_rp, rho_rt = endpoints.response_pfs_correlation, endpoints.response_toxicity_correlation
    x_pfs = norm.isf(np.exp(-np.asarray(event_unit[:n])))  # Phi^-1(1 - exp(-E))
    x_response = rho_rp * x_pfs + math.sqrt(1 - rho_rp ** 2) * np.asarray(response_normal)
    x_toxicity = rho_rt * x_response + math.sqrt(1 - rho_rt ** 2) * np.asarray(toxicity_normal)

    def by_patient(probabilities):  # each patient's arm's probability (control last); 0 if not modelled
        return np.array([probabilities[a - 1] if a > 0 else probabilities[-1] for a in arm]) if probabilities \
            else np.zeros(n)

    def by_dose(flags):
        return np.array([int((flags & (arm == d)).sum()) for d in range(1, n_doses + 1)])

    p_response, p_toxicity = by_patient(endpoints.response_probabilities), by_patient(endpoints.toxicity_probabilities)
    months, window = endpoints.response_months, endpoints.toxicity_window_months
    assessed = (entry + months <= tau) & ~((dropout_time < event_time) & (dropout_time < months))
    responder = assessed & (event_time > months) & (norm.sf(x_response) < p_response)
    tox_assessed = entry + window <= tau
    toxicity = tox_assessed & (norm.sf(x_toxicity) < p_toxicity)
    return {"responders": by_dose(responder), "response_assessed": by_dose(assessed),
            "toxicities": by_dose(toxicity), "toxicity_assessed": by_dose(tox_assessed)}
