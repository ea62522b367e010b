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


def test_found_values_are_masked_only_when_they_look_like_credentials():
    """The rule for values read from the repo or the environment (worth_masking): an everyday word that
    also names a namespace or a folder (`homelab`, `admin`, `postgres`) stays readable; credentials do not."""
    from wizard.redact import Redactor, worth_masking

    for everyday in ("homelab", "admin", "postgres", "changeme", "n8n", "password"):
        assert not worth_masking(everyday), everyday
    for credential in ("s3cr3t-Passw0rd", "Hunter2Hunter2", "a-very-long-passphrase-here", "ZmFrZS1rZXk="):
        assert worth_masking(credential), credential
    r = Redactor()
    r.add("homelab", found=True)
    r.add("s3cr3t-Passw0rd", found=True)
    r.add("hunter2x", found=False)  # handed to the wizard as a credential: masked from 6 characters
    text = "clusters/homelab/apps.yaml namespace: homelab pw s3cr3t-Passw0rd tok hunter2x"
    assert r.redact(text) == "clusters/homelab/apps.yaml namespace: homelab pw *** tok ***"


def test_a_secret_in_evidence_keeps_its_keys_never_its_values():
    from wizard.redact import Redactor

    ev = {"objects": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "homelab"},
                       "stringData": {"POSTGRES_USER": "homelab"}, "data": {"pw": "aG9tZWxhYg=="}}]}
    out = Redactor().redact_obj(ev)["objects"][0]
    assert out["stringData"] == {"POSTGRES_USER": "***"} and out["data"] == {"pw": "***"}
    assert out["metadata"]["namespace"] == "homelab"  # the everyday word stays readable where it is not a value
