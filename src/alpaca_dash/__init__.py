"""Alpaca Dashboard: run-monitoring dashboards for AEgIS, on top of ALPACA."""

__version__ = "0.1.0"
