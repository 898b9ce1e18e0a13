"""The host stacks of the echo family (test-only)."""
