"""tasks package of the Lianshen platform."""
