"""``python -m sockconf``: the ``sockconf`` command."""

from sockconf.cli import entry

entry()
