"""The registry of silent points: where the documents leave a behaviour open, one TOML file per family (or topic)."""
