"""review_api package of the Lianshen platform."""
