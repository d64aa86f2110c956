"""Rules about Kubernetes objects, one module each, shared by the tools, the snapshot server, capture and
the analyzers, so a rule is written once."""
