"""The host stacks that drive each family's modules, one TOML file per family (what the host-stack cases imitate)."""
