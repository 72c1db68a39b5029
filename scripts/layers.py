#!/usr/bin/env python3
"""The crate map, enforced (`make lint`).

Reads `cargo metadata` and fails when a crate depends, directly or through
any chain of normal (non-dev) dependencies, on what it must never link:

- each Témoin crate may depend only on the Témoin crates below it (ALLOWED);
- model, media, bundle and proto never link sled;
- the intake server never links the vault, the model, the bundle format or
  the media codecs (it holds ciphertext only);
- nothing but the app links tauri.

`scripts/layers.py --self-test` checks the checker: it plants each kind of
forbidden dependency in a copy of the real graph and fails unless every one
is caught.
"""
import json
import subprocess
import sys

# Témoin crates and the Témoin crates each may depend on (directly).
ALLOWED = {
    "temoin-crypto": set(),
    "temoin-model": {"temoin-crypto"},
    "temoin-media": {"temoin-model"},
    "temoin-bundle": {"temoin-crypto", "temoin-model"},
    "temoin-proto": {"temoin-crypto"},
    "temoin-vault": {"temoin-crypto", "temoin-model", "temoin-media", "temoin-bundle"},
    "temoin-sync": {"temoin-crypto", "temoin-proto", "temoin-bundle", "temoin-vault", "temoin-model"},
    "temoin-intake": {"temoin-crypto", "temoin-proto"},
    "temoin-desk": {
        "temoin-crypto", "temoin-proto", "temoin-model", "temoin-bundle", "temoin-vault",
        "temoin-sync", "temoin-dossier",
    },
    "temoin-dossier": {"temoin-model"},
    "temoin-cli": {
        "temoin-crypto", "temoin-proto", "temoin-model", "temoin-media", "temoin-bundle",
        "temoin-vault", "temoin-sync", "temoin-intake", "temoin-desk", "temoin-dossier",
    },
    "temoin-app": {
        "temoin-crypto", "temoin-proto", "temoin-model", "temoin-media", "temoin-bundle",
        "temoin-vault", "temoin-sync", "temoin-desk", "temoin-dossier",
    },
    "temoin-tests": None,  # the cross-crate suites and benchmarks use everything
}

# Crates that must never be linked, anywhere in the closure, and why.
FORBIDDEN = {
    "temoin-model": {"sled": "the model is plain data, it knows no store"},
    "temoin-media": {"sled": "media functions are pure, they know no store"},
    "temoin-bundle": {
        "sled": "the bundle format knows no store",
        "image": "a bundle reader carries no media codec",
        "symphonia": "a bundle reader carries no media codec",
        "lopdf": "a bundle reader carries no media codec",
        "kamadak-exif": "a bundle reader carries no media codec",
    },
    "temoin-proto": {"sled": "wire types know no store", "axum": "wire types know no HTTP stack",
                     "reqwest": "wire types know no HTTP stack"},
    "temoin-dossier": {
        "sled": "documents are drafted from records handed over, they know no store",
        "temoin-vault": "the same drafting serves the device and the desk",
    },
    "temoin-intake": {
        "sled": "the intake server holds ciphertext only",
        "temoin-vault": "the intake server holds ciphertext only",
        "temoin-model": "the intake server never reads a case",
        "temoin-bundle": "the intake server never opens a bundle",
        "temoin-media": "the intake server carries no media codec",
        "image": "the intake server carries no media codec",
        "symphonia": "the intake server carries no media codec",
        "lopdf": "the intake server carries no media codec",
        "kamadak-exif": "the intake server carries no media codec",
    },
}
TAURI = {"tauri", "wry", "tao", "webkit2gtk"}


def metadata():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def graph(meta):
    """Package name -> set of names of its normal dependencies."""
    names = {p["id"]: p["name"] for p in meta["packages"]}
    g = {}
    for node in meta["resolve"]["nodes"]:
        deps = set()
        for d in node["deps"]:
            if any(k["kind"] is None for k in d["dep_kinds"]):
                deps.add(names[d["pkg"]])
        g.setdefault(names[node["id"]], set()).update(deps)
    return g


def closure(g, start):
    seen, todo = set(), [start]
    while todo:
        for d in g.get(todo.pop(), ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def problems(g):
    found = []
    for crate in sorted(c for c in g if c.startswith("temoin-")):
        if crate not in ALLOWED:
            found.append(f"{crate}: not in the crate map (scripts/layers.py ALLOWED); add it")
            continue
        allowed = ALLOWED[crate]
        if allowed is not None:
            for d in sorted(g[crate]):
                if d.startswith("temoin-") and d not in allowed:
                    found.append(f"{crate} depends on {d}, which is not below it")
        reach = closure(g, crate)
        for bad, why in FORBIDDEN.get(crate, {}).items():
            if bad in reach:
                found.append(f"{crate} links {bad}: {why}")
        if crate not in ("temoin-app", "temoin-tests"):
            for t in sorted(TAURI & reach):
                found.append(f"{crate} links {t}: only the app may link the window toolkit")
    return found


def self_test(g):
    plants = [
        ("temoin-model", "sled"),
        ("temoin-bundle", "image"),
        ("temoin-proto", "temoin-vault"),
        ("temoin-intake", "temoin-vault"),
        ("temoin-intake", "temoin-media"),
        ("temoin-media", "temoin-vault"),
        ("temoin-vault", "tauri"),
        ("temoin-crypto", "temoin-model"),
    ]
    missed = []
    for crate, dep in plants:
        planted = {k: set(v) for k, v in g.items()}
        planted[crate].add(dep)
        if not problems(planted):
            missed.append(f"{crate} -> {dep}")
    if missed:
        print("layers self-test: these forbidden dependencies were not caught: " + ", ".join(missed))
        return 1
    print(f"layers self-test: all {len(plants)} planted forbidden dependencies caught")
    return 0


def main():
    g = graph(metadata())
    if "--self-test" in sys.argv:
        return self_test(g)
    found = problems(g)
    for p in found:
        print(f"layers: {p}", file=sys.stderr)
    if found:
        print("layers: the crate map is broken (docs/architecture.md says what each crate "
              "may never touch)", file=sys.stderr)
        return 1
    print(f"layers: {sum(1 for c in g if c.startswith('temoin-'))} crates, every dependency points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
