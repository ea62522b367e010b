"""The owner's own sops setup as S.2 meets it: files encrypted before the wizard, to keys only the
owner holds, and how Flux gets to decrypt them.

Two ways, a declared question (sops-owner-keys): with the owner's consent, add the wizard's age key
to each file with `sops updatekeys` (PGP files are then encrypted to age as well; the owner's keys
stay), or leave the files as they are and give Flux the owner's own key (an age key file, or the PGP
key as Flux's sops-gpg `.asc` entry) in flux-system/sops-age. Both need the owner's private key.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...checklist import Question
from ...repo.ops import op_write
from ...runner import ToolError
from ...scratch import scratch_root
from ...session import Blocked, NeedsAnswers, Refused
from ...secrets import existing, keys
from .flux_paths import flux_kustomizations, reachable_files

OWNER_KEYS, OWNER_AGE_KEY = "sops-owner-keys", "sops-owner-age-key"
FLUX_KEY, ADD_WIZARD_KEY = "flux-key", "add-wizard-key"
# add-wizard-key first: it leads on by itself (Flux then needs only the wizard's key, which S.4 gives it);
# with flux-key the owner's key has to reach flux-system/sops-age, which S.4 does not do yet.
_CHOICES = {ADD_WIZARD_KEY: "add the wizard's age key to each file with sops updatekeys (your keys stay too)",
            FLUX_KEY: "give Flux your own key (a .agekey or .asc entry in flux-system/sops-age); files stay as they are"}


@dataclass
class OwnerSops:
    """The owner's .sops.yaml files and the encrypted files the wizard's key cannot open."""

    configs: list[existing.SopsConfig]
    files: list[existing.EncryptedFile]  # the wizard's age key cannot open these
    keyed: list[existing.EncryptedFile]  # encrypted to some key of the owner's (their rules keep those keys)

    @property
    def secrets(self) -> list[existing.EncryptedFile]:
        """Secret manifests: kustomize-controller decrypts these once it has a key for them."""
        return [f for f in self.files if f.secret]

    @property
    def other(self) -> list[existing.EncryptedFile]:
        """Values files and other data: Flux never decrypts these."""
        return [f for f in self.files if not f.secret]


def owner_sops(session, recipient: str | None) -> OwnerSops:
    configs = [c for c in existing.sops_configs(session.repo) if not c.by_wizard]
    files = existing.encrypted_files(session.repo)
    return OwnerSops(configs, existing.owners(files, recipient), [f for f in files if set(f.age) - {recipient} or f.pgp])


def default_age_key_file() -> Path | None:
    """Where sops itself looks for age keys ($XDG_CONFIG_HOME/sops/age/keys.txt), when it is there."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    f = base / "sops" / "age" / "keys.txt"
    return f if f.is_file() else None


def owner_age_key_file(session) -> Path | None:
    """The owner's age key file: the answer, else sops' default location. Never inside the work tree."""
    given = (session.answers.get(OWNER_AGE_KEY) or "").strip()
    f = Path(given).expanduser() if given else default_age_key_file()
    if f is None:
        return None
    if keys.inside(f, session.repo):
        raise Refused(f"{OWNER_AGE_KEY}={f} is inside the work tree; a private key must never be in the repository. "
                      "Move it out (e.g. ~/.config/sops/age/keys.txt) and give that path instead.")
    if not f.is_file():
        raise Blocked(f"{OWNER_AGE_KEY}={f}: no such file; answer with the path of your age key file.")
    return f


def _identities(session, key_file: Path | None) -> set[str]:
    if key_file is None:
        return set()
    try:
        out = session.runner.run(["age-keygen", "-y", str(key_file)], timeout=30).stdout
    except ToolError:
        return set()
    return {ln.strip() for ln in out.splitlines() if ln.strip().startswith("age1")}


def _has_pgp_secret(session, fpr: str) -> bool:
    if shutil.which("gpg") is None:
        return False
    res = session.runner.run(["gpg", "--batch", "--with-colons", "--list-secret-keys", fpr], timeout=30,
                             ok_codes=(0, 2))
    return res.exit_code == 0 and "sec:" in res.stdout


def keys_not_here(session, files: list[existing.EncryptedFile], key_file: Path | None) -> list[str]:
    """The keys of `files` whose private half this machine does not have (in words)."""
    ids = _identities(session, key_file)
    missing = []
    for f in files:
        if f.age and not set(f.age) & ids:
            missing.append(f"{f.path}: age {', '.join(f.age)} (no matching key in "
                           f"{key_file or 'an age key file: answer ' + OWNER_AGE_KEY})")
        elif not f.age and f.pgp and not any(_has_pgp_secret(session, p) for p in f.pgp):
            missing.append(f"{f.path}: PGP {', '.join(f.pgp)} (not in this machine's gpg keyring)")
        elif not f.age and not f.pgp:
            missing.append(f"{f.path}: {f.keys()} (the wizard handles age and PGP only)")
    return missing


def questions(session, own: OwnerSops) -> list[Question]:
    """sops-owner-keys (and the age key file when some file is encrypted to age)."""
    qs = [Question(OWNER_KEYS, f"{len(own.secrets)} Secret file(s) are already encrypted to your own keys "
                               f"({', '.join(f.path for f in own.secrets[:3])}{' …' if len(own.secrets) > 3 else ''}): "
                               "how should Flux decrypt them?",
                   [(k, v) for k, v in _CHOICES.items()], default=ADD_WIZARD_KEY,
                   help="Both need your private key on this machine: an age key file, or the PGP key in gpg.")]
    if any(f.age for f in own.secrets):
        found = default_age_key_file()
        qs.append(Question(OWNER_AGE_KEY, "Your age key file (read, never copied into the repository)",
                           default=str(found) if found else None))
    return qs


def ask_if_open(session, own: OwnerSops) -> None:
    """NeedsAnswers until the owner said how Flux decrypts their files (nothing asked when there are none)."""
    if not own.secrets:
        return
    open_qs = [q for q in questions(session, own) if q.key not in session.answers]
    if open_qs:
        raise NeedsAnswers(f"{len(own.secrets)} Secret file(s) are encrypted to keys the wizard does not have ("
                           + "; ".join(f"{f.path}: {f.keys()}" for f in own.secrets[:3]) + "); answer "
                           + " and ".join(f"{q.key}" for q in open_qs), open_qs)


def add_wizard_key_to(session, own: OwnerSops) -> list[existing.EncryptedFile]:
    """The owner's Secret files to re-key for the wizard's age key (only with the owner's consent)."""
    return own.secrets if session.answers.get(OWNER_KEYS) == ADD_WIZARD_KEY else []


def updatekeys_ops(session, config_text: str, files: list[existing.EncryptedFile]) -> list[dict]:
    """`sops updatekeys -y` on a copy of each file (ciphertext only) in a private scratch folder, under
    `config_text`; the results become writes like any other, so a kill leaves the tree as it was."""
    if not files:
        return []
    key_file = owner_age_key_file(session)
    missing = keys_not_here(session, files, key_file)
    if missing:
        raise Blocked("sops updatekeys needs your private key to add the wizard's: " + "; ".join(missing[:3])
                      + f". Import it (or answer {OWNER_AGE_KEY}=FILE), or answer {OWNER_KEYS}={FLUX_KEY}.")
    scratch = Path(tempfile.mkdtemp(dir=scratch_root(session.repo)))
    try:
        (scratch / ".sops.yaml").write_text(config_text)
        env = {"SOPS_AGE_KEY_FILE": str(key_file)} if key_file else {}
        ops = []
        for f in files:
            copy = scratch / f.path
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(session.repo / f.path, copy)
            session.runner.run(["sops", "--config", str(scratch / ".sops.yaml"), "updatekeys", "-y", str(copy)],
                               cwd=scratch, env=env, timeout=60)
            ops.append(op_write(f.path, copy.read_text()))
        return ops
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def flux_file_sets(session) -> list[set[str]] | None:
    """The files each Flux Kustomization of the repo builds (None: there are none yet)."""
    result, kss = flux_kustomizations(session)
    if not kss:
        return None
    files = list(result.files)
    return [reachable_files(session.repo, (m.doc.get("spec") or {}).get("path") or "./", files) for m in kss]


def what_they_need(session, own: OwnerSops) -> list[str]:
    """One sentence per file Flux will not decrypt as things stand, naming what it needs."""
    out = []
    sets = flux_file_sets(session)
    for f in own.other:
        out.append(f"{f.path} ({f.format}, encrypted to {f.keys()}) is not a Secret manifest: Flux never decrypts "
                   "values files; a HelmRelease reads values from a Secret through valuesFrom, so put them in a "
                   "Secret manifest (S.3 encrypts it for Flux), or keep installing that chart with 'helm secrets'")
    for f in own.secrets:
        if sets is not None and not any(f.path in s for s in sets):
            out.append(f"{f.path} (encrypted to {f.keys()}) is outside every Flux path: list it in a kustomization.yaml "
                       "under one, or keep applying it by hand ('sops decrypt … | kubectl apply -f -')")
    return out
