"""The neutral core every layer may use: the family contract, what a case records, the byte trace.

It imports nothing of the project's but ``protocol``, so drivers, fixtures, suites, reports and the
emulator can all depend on it without depending on each other.
"""
