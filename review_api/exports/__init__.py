"""Standard exports of a case: BCF 2.1 and 3.0, W3C Web Annotation, CSV, and the filing archive.

``items`` gathers what the exports and the issued documents share: every finding and
annotation a user may see, each with its place on a drawing, and the consolidation items.
"""
