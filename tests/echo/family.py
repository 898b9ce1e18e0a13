"""A test-only family, ``echo``: an AT module with one command, declared through the same contract.

It exists to show that a family is added by adding files only: its declaration, emulator model, fault,
host side, profile and one case live here under tests/, and nothing outside tests/ names it. A
process learns of it through ``SOCKCONF_FAMILIES=tests.echo.family`` (or the suite folder's conftest).
"""

from sockconf.core.family import Family

FAMILY = Family(
    name="echo",
    description="a test-only AT module: EC=<text> is answered with the text, then OK",
    default_profile="echo-1",
    suites="tests.echo.suite",
    profiles="tests.echo.profiles",
    hoststacks="tests.echo.hoststacks",
    model="tests.echo.model:EchoModel",
    faults="tests.echo.model:FAULTS",
    host="tests.echo.host:EchoHost",
)
