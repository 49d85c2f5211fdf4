"""Calibration against past campaign data: ABC-SMC posterior of behaviour parameters,
posterior-predictive and holdout checks, and the calibrated scenario written back
(see the README, "Calibration against past campaign data")."""
