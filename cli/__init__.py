"""The ``devzone`` console command: a thin shell over the packages."""
