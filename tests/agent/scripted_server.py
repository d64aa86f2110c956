"""The scripted OpenAI-compatible model server lives in devkit/scripted_model.py (the benchmarks use it
too); tests import it from here."""

from devkit.scripted_model import Failure, Reply, Request, ScriptedModel, Slow, Step, evidence_ids

__all__ = ["Failure", "Reply", "Request", "ScriptedModel", "Slow", "Step", "evidence_ids"]
