"""Banding a score into named bands by their lower bounds: a CMI into tiers, a CHS into levels.

Pure numpy and pandas, no ORM; maturity and health, which are peers, share it from here.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

# A value this close below a threshold has reached it: float sums of pillar means can land a
# hair short (2.4999999999999996 for an exact 2.5), and the band must not depend on that.
AT_THRESHOLD = 1e-9


def band_of(values: pd.Series, bands: Sequence[tuple[str, float]]) -> pd.Series:
    """The band whose lower bound is the highest one at or below each value ('' for NaN, or
    without bands). Values below the lowest bound fall in the lowest band."""
    if not bands:
        return pd.Series("", index=values.index, dtype=object)
    names = np.array([name for name, _ in bands], dtype=object)
    lowers = np.array([lower for _, lower in bands], dtype=float)
    numbers = values.to_numpy(dtype=float)
    # Below the lowest bound searchsorted says 0, so -1: that value joins the lowest band.
    position = np.maximum(np.searchsorted(lowers, numbers + AT_THRESHOLD, side="right") - 1, 0)
    return pd.Series(
        np.where(np.isnan(numbers), "", names[position]), index=values.index, dtype=object
    )
