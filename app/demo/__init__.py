"""Demo data for `make run`: built only through the services, so it is valid data."""
