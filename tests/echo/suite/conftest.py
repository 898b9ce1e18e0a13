"""Declares the echo family to this pytest process (subprocesses learn it from SOCKCONF_FAMILIES)."""

from sockconf.core.family import register
from tests.echo.family import FAMILY

register(FAMILY)
