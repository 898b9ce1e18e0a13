"""The compliance report: verdicts, wire traces, HTML (pytest-html), JUnit and JSON."""
