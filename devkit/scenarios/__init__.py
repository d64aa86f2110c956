"""The diagnostician's scenario catalogue: small synthetic clusters with one injected problem (or none),
their questions and ground truth, and the judge that scores an answer against it."""
