"""Benchmarks: ratios and latencies measured in one process, sides alternated, medians reported."""
