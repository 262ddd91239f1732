"""Benchmark protocols that are more than a task: HGB's splits, negatives and submission files."""
