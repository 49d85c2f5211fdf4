"""Experiments: designs over scenario fields (grid, Latin hypercube, Sobol), resumable
parallel sweeps on joblib/dask, Sobol sensitivity analysis and what-if comparisons.

Modules, in the order data flows: ``spec`` (experiment files), ``edits`` (factor values
into scenarios), ``design`` (points and runs), ``store`` (the result store), ``execute``
(loky/dask execution), ``study`` (a sweep into a results folder), ``sobol``, ``compare``,
``plots``, ``report``, ``outputs`` and ``cli`` (the sweep/sobol/compare commands).
"""
