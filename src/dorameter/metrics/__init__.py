"""The five keys as pure functions over model objects, with bands, intervals and trends.

Import from the modules themselves (dorameter.metrics.bands, ...): the settings need only the
bands, and a command that only ingests should not load every metric at start-up.
"""
