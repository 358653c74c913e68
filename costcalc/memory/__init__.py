"""Inference memory: activation and weight bytes, liveness peak, grouped bottlenecks, per-resolution view, tables."""
