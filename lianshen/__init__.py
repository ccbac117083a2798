"""联审 Lianshen: joint online review of building-drawing packages (多图联审)."""

__version__ = "0.1.0"
