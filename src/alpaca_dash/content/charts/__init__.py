"""The chart types: one module each, registered in ``content.registry``."""
