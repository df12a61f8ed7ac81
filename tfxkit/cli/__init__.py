"""The `tfxkit` command line (see `tfxkit --help`)."""
