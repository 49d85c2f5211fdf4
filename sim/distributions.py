"""Declarative probability distributions used by scenarios, shocks and priors.

A scenario value is either a plain number (fixed) or a table such as
``{dist = "normal", mean = 2.25, sd = 0.3, low = 1.0}``. Each distribution draws a
whole column at once from the run's generator, so population and shock draws stay
vectorized and reproducible.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from sim.inputs import StrictTagged

if TYPE_CHECKING:
    from scipy import stats


def _stats() -> ModuleType:
    """scipy.stats, imported when a frozen law is first asked for (it takes ~0.5 s to load)."""
    from scipy import stats

    return stats


class _Dist(StrictTagged):
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        raise NotImplementedError

    def frozen(self) -> stats.rv_continuous:  # pragma: no cover - overridden
        raise NotImplementedError

    def center(self) -> float:
        """A representative value (median) used for reports and defaults."""
        return float(self.frozen().median())


class Fixed(_Dist):
    dist: Literal["fixed"]
    value: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    def center(self) -> float:
        return self.value

    def frozen(self) -> stats.rv_continuous:
        return _stats().uniform(self.value, 0.0)


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.high > self.low:
            raise ValueError(f"high must be greater than low (got low={self.low}, high={self.high})")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def frozen(self) -> stats.rv_continuous:
        return _stats().uniform(self.low, self.high - self.low)


class Normal(_Dist):
    """Normal, optionally truncated to [low, high] by clipping draws (cheap, keeps order)."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)
    low: float | None = None
    high: float | None = None

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        x = rng.normal(self.mean, self.sd, size)
        if self.low is not None or self.high is not None:
            np.clip(x, self.low, self.high, out=x)
        return x

    def frozen(self) -> stats.rv_continuous:
        lo = -np.inf if self.low is None else (self.low - self.mean) / max(self.sd, 1e-12)
        hi = np.inf if self.high is None else (self.high - self.mean) / max(self.sd, 1e-12)
        return _stats().truncnorm(lo, hi, loc=self.mean, scale=max(self.sd, 1e-12))


class LogNormal(_Dist):
    """Log-normal given by its median and the sd of log values (balances, wealth)."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.median * np.exp(rng.normal(0.0, self.sigma, size))

    def frozen(self) -> stats.rv_continuous:
        return _stats().lognorm(max(self.sigma, 1e-12), scale=self.median)


class Beta(_Dist):
    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.low + (self.high - self.low) * rng.beta(self.a, self.b, size)

    def frozen(self) -> stats.rv_continuous:
        return _stats().beta(self.a, self.b, loc=self.low, scale=self.high - self.low)


Distribution = Annotated[Fixed | Uniform | Normal | LogNormal | Beta, Field(discriminator="dist")]
#: A scenario value that is either a constant or a distribution.
Value = float | Distribution


def draw(value: Value, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw ``size`` values (a constant array for plain numbers)."""
    if isinstance(value, (int, float)):
        return np.full(size, float(value))
    return value.sample(rng, size)


def draw_one(value: Value, rng: np.random.Generator) -> float:
    """Draw a single value; plain numbers consume no randomness."""
    if isinstance(value, (int, float)):
        return float(value)
    return float(value.sample(rng, 1)[0])


def center(value: Value) -> float:
    return float(value) if isinstance(value, (int, float)) else value.center()
