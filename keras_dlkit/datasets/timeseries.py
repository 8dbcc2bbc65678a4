"""Time series bundled with statsmodels and vega_datasets."""

from __future__ import annotations

import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.datasets import _cache


@keras_dlkit_export("keras_dlkit.datasets.load_sunspots")
def load_sunspots():
    """Load the yearly sunspot numbers, 1700-2008 (309 years).

    Read from statsmodels' bundled copy (``pip install
    'keras-dlkit[data]'``); nothing is cached or downloaded.

    Source and licence: NOAA National Geophysical Data Center, public
    domain, as bundled with statsmodels (BSD-3-Clause).

    Returns:
        ``(years, activity)``: ``years`` int64 of shape ``(309,)``, from 1700
        to 2008; ``activity`` float32 ``(309,)``, the yearly mean sunspot
        number (``>= 0``).

    Example:

    >>> from keras_dlkit.datasets import load_sunspots
    >>> years, activity = load_sunspots()
    >>> int(years[0]), int(years[-1]), activity.shape, activity.dtype
    (1700, 2008, (309,), dtype('float32'))
    """
    datasets = _cache.import_optional("statsmodels.api", "statsmodels").datasets
    frame = datasets.sunspots.load_pandas().data
    years = frame["YEAR"].to_numpy().astype(np.int64)
    return years, frame["SUNACTIVITY"].to_numpy().astype(np.float32)


@keras_dlkit_export("keras_dlkit.datasets.load_co2")
def load_co2(fill_missing: bool = True):
    """Load weekly atmospheric CO2 at Mauna Loa, March 1958 - December 2001.

    Read from statsmodels' bundled copy (``pip install
    'keras-dlkit[data]'``); nothing is cached or downloaded.

    Source and licence: Keeling and Whorf, Scripps Institution of
    Oceanography flask samples, public domain, as bundled with statsmodels
    (BSD-3-Clause).

    Args:
        fill_missing: Fill the 59 missing weeks by linear interpolation in
            time (the default), or leave them NaN.

    Returns:
        ``(dates, co2)``: ``dates`` datetime64[D] of shape ``(2284,)``, one a
        week (Saturdays); ``co2`` float32 ``(2284,)``, the mole fraction in
        ppm (about 313-375).

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.datasets import load_co2
    >>> dates, co2 = load_co2()
    >>> co2.shape, bool(np.isnan(co2).any()), str(dates[0])
    ((2284,), False, '1958-03-29')
    """
    if not isinstance(fill_missing, bool):
        raise ValueError(f"`fill_missing` must be a bool, got {fill_missing!r}.")
    datasets = _cache.import_optional("statsmodels.api", "statsmodels").datasets
    series = datasets.co2.load_pandas().data["co2"]
    if fill_missing:
        series = series.interpolate(method="time")
    dates = series.index.to_numpy().astype("datetime64[D]")
    return dates, series.to_numpy().astype(np.float32)


@keras_dlkit_export("keras_dlkit.datasets.load_seattle_weather")
def load_seattle_weather() -> dict[str, np.ndarray]:
    """Load Seattle's daily weather, 2012-2015 (1,461 days).

    Read from vega_datasets' bundled copy (``pip install
    'keras-dlkit[data]'``); nothing is cached or downloaded.

    Source and licence: NOAA's Global Historical Climatology Network, public
    domain, as bundled with vega_datasets (BSD-3-Clause).

    Returns:
        A dict of arrays of shape ``(1461,)``: ``"date"`` datetime64[D];
        ``"precipitation"`` (mm), ``"temp_max"``, ``"temp_min"`` (degrees C)
        and ``"wind"`` (m/s), float32; ``"weather"``, str, one of
        ``"drizzle"``, ``"fog"``, ``"rain"``, ``"snow"``, ``"sun"``.

    Example:

    >>> from keras_dlkit.datasets import load_seattle_weather
    >>> weather = load_seattle_weather()
    >>> sorted(weather), weather["temp_max"].shape
    (['date', 'precipitation', 'temp_max', 'temp_min', 'weather', 'wind'], (1461,))
    """
    local_data = _cache.import_optional("vega_datasets", "vega-datasets").local_data
    frame = local_data.seattle_weather()
    columns = {"date": frame["date"].to_numpy().astype("datetime64[D]")}
    for name in ("precipitation", "temp_max", "temp_min", "wind"):
        columns[name] = frame[name].to_numpy().astype(np.float32)
    columns["weather"] = frame["weather"].to_numpy().astype(str)
    return columns
