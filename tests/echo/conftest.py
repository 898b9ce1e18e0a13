"""The echo family's case runs in its own processes (tests/test_family_contract.py), never in ``pytest tests``."""

collect_ignore = ["suite"]
