"""The built-in family declarations: one module per family, each defining ``FAMILY``."""
