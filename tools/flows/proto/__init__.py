"""kubewhy's own subset of Hubble's protobuf messages, with generated code committed (see generate.py)."""
