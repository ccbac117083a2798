"""viewer package of the Lianshen platform."""
