"""Built-in DUT profiles, one TOML file each (the family, limits, behaviour and deadlines of one module variant)."""
