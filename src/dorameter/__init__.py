"""dorameter: DORA metrics and delivery-flow diagnosis."""

__version__ = "0.1.0"
