"""kubewhy: plain-language Kubernetes diagnosis with evidence, read-only."""

__version__ = "0.1.0"
