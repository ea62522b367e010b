"""Redaction of known secret values and credential-shaped strings."""
from wizard.redact import Redactor


def test_known_value_and_its_base64_are_masked():
    r = Redactor(["s3cr3t-value"])
    assert r.redact("a s3cr3t-value b czNjcjN0LXZhbHVl") == "a *** b ***"


def test_short_values_are_not_registered():
    r = Redactor(["ab"])
    assert r.redact("abc") == "abc"


def test_url_credentials_are_masked():
    assert Redactor().redact("https://git:hunter2pass@example.com/x.git") == "https://git:***@example.com/x.git"


def test_token_patterns_are_masked():
    r = Redactor()
    for s in ("ghp_" + "a" * 36, "github_pat_" + "b" * 40, "AGE-SECRET-KEY-1" + "C" * 58, "glpat-" + "d" * 20):
        assert r.redact(f"x {s} y") == "x *** y"


def test_flag_values_and_bearer_tokens_are_masked():
    r = Redactor()
    assert r.redact("kubectl --token=abcdef123 get") == "kubectl --token=*** get"
    assert r.redact("Authorization: Bearer abcdefghijk") == "Authorization: Bearer ***"


def test_env_registration_only_takes_secret_looking_names():
    r = Redactor()
    r.add_from_env({"GITHUB_TOKEN": "tok-1234567", "HOME": "/root/home-dir"})
    assert r.redact("tok-1234567 /root/home-dir") == "*** /root/home-dir"


def test_redact_obj_walks_nested_structures():
    r = Redactor(["password-123"])
    assert r.redact_obj({"a": ["x password-123"], "b": {"c": "password-123"}, "n": 1}) == {"a": ["x ***"], "b": {"c": "***"}, "n": 1}
