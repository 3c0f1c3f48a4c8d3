"""Demand forecasting and replenishment: metrics, backtests, intervals, the model registry, reorder policy."""
