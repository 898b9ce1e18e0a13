"""The echo family's one profile."""
