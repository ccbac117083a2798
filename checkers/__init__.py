"""checkers package of the Lianshen platform."""
