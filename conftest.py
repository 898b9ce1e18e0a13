"""Registers the suite's plugin parts; nothing else."""

pytest_plugins = ["fixtures.plugin", "reports.plugin"]
