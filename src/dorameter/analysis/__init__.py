"""Flow diagnosis: pure functions over model objects (stages, bottleneck, batch size, trunk-based
flow, CI feedback, balance, what-if and significance of changes)."""
