"""The built-in diagnostician: analyzers over cluster facts, correlation into cause chains, ranking."""
