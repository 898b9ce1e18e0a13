"""The requirements catalogue, one TOML file per family, and copies of the seed documents it quotes (``seeds/``)."""
