"""The chart types, one module each, each with a ``CHART`` that ``content.registry`` registers (see there)."""
