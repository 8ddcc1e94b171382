"""The `docker hostnet` CLI plugin (also installed as plain `hostnet`)."""
