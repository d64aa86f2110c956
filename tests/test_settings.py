"""The one settings object: environment first, then kubewhy.yaml, then defaults; clear errors."""

from pathlib import Path

import pytest

from tools.contracts.settings import ConfigError, Settings


def test_environment_beats_config_file_beats_defaults(tmp_path: Path, monkeypatch):
    config = tmp_path / "kubewhy.yaml"
    config.write_text("model: from-file\nmax_tool_calls: 5\nprometheus_url: http://prom:9090\n")
    monkeypatch.setenv("KUBEWHY_CONFIG", str(config))
    monkeypatch.setenv("KUBEWHY_MODEL", "from-env")
    settings = Settings.load()
    assert settings.model == "from-env"  # environment wins
    assert settings.max_tool_calls == 5  # then the file
    assert settings.prometheus_url == "http://prom:9090"
    assert settings.tool_output_tokens == 2000  # then defaults
    assert Settings.load(model="from-flag").model == "from-flag"  # explicit overrides win over all


def test_contract_names_without_prefix(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("KUBEWHY_SLACK_API_URL", "http://127.0.0.1:2/api/")
    settings = Settings.load()
    assert settings.openai_api_key.get_secret_value() == "sk-test"
    assert "sk-test" not in repr(settings)  # secrets never print
    assert settings.slack_api_url == "http://127.0.0.1:2/api/"
    assert settings.model_configured
    monkeypatch.setenv("KUBEWHY_LLM", "none")
    assert not Settings.load().model_configured


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KUBEWHY_CONFIG": "/no/such/kubewhy.yaml"}, "KUBEWHY_CONFIG=/no/such/kubewhy.yaml: no such file"),
        ({"KUBEWHY_MAX_TOOL_CALLS": "many"}, "max_tool_calls"),
        ({"KUBEWHY_LLM": "gpt"}, "llm"),
    ],
)
def test_bad_configuration_is_one_clear_error(monkeypatch, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        Settings.load()
