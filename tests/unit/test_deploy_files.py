"""What the deployment files promise (deployment spec §4), read from the files themselves.

No Docker engine, Fly.io or nixpkgs exists here, so these files are linted (`make lint`) and
their promises checked here: the ports, health paths, stop signals and time budgets agree with
the node's own, and the Nix build can fetch every npm dependency from the lock file. The
image's HEALTHCHECK command itself is run against a real node in tests/binary.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from nara.app import SHUTDOWN_BUDGET_S

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_stage(name: str) -> list[str]:
    """The instructions of one stage of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    stage: list[str] | None = None
    found: list[str] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            stage = found if line.split()[-1] == name else None
        elif stage is not None and line and not line.startswith("#"):
            stage.append(line)
    assert found, f"no stage {name} in the Dockerfile"
    return found


def test_docker_image_runs_the_binary_unprivileged_with_health_and_stop_signal() -> None:
    base = dockerfile_stage("base")
    joined = "\n".join(base)
    assert re.search(r"^USER 10001:10001$", joined, re.M), "the image must not run as root"
    assert re.search(r"^EXPOSE 8080$", joined, re.M)
    assert re.search(r"^STOPSIGNAL SIGTERM$", joined, re.M)
    assert re.search(r"^HEALTHCHECK .*CMD .*/livez", joined, re.M)
    assert 'ENTRYPOINT ["/usr/local/bin/nara"]' in joined
    for label in ("title", "version", "revision", "licenses", "description"):
        assert f"org.opencontainers.image.{label}=" in joined
    # The default image holds the binary the freeze stage built and smoke-tested, as `make build`.
    assert any("scripts/build-binary.sh" in line for line in dockerfile_stage("freeze"))
    image = dockerfile_stage("image")
    assert any(line.startswith("COPY --from=freeze") and "/src/bin/nara" in line for line in image)


def unit_settings(name: str) -> dict[str, str]:
    """A unit's settings; a key given more than once (Environment=) keeps every value, joined
    by newlines."""
    settings: dict[str, str] = {}
    for line in (ROOT / "packaging" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings[key] = f"{settings[key]}\n{value}" if key in settings else value
    return settings


def test_fly_checks_liveness_and_outwaits_the_shutdown() -> None:
    fly = tomllib.loads((ROOT / "fly.toml").read_text())
    assert fly["kill_signal"] == "SIGTERM"
    assert fly["kill_timeout"] > SHUTDOWN_BUDGET_S
    service = fly["http_service"]
    assert service["internal_port"] == 8080
    assert fly["env"]["HTTP_ADDR"].endswith(":8080")
    assert [check["path"] for check in service["checks"]] == ["/livez"]
    # The broker is configuration, never baked into the file.
    assert "MQTT_HOST" not in fly["env"]


def test_systemd_unit_outwaits_the_shutdown_and_unpacks_in_its_runtime_directory() -> None:
    unit = (ROOT / "packaging" / "nara.service").read_text()
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    assert settings["KillSignal"] == "SIGTERM"
    assert float(settings["TimeoutStopSec"].rstrip("s")) > SHUTDOWN_BUDGET_S
    assert "Environment=TMPDIR=%t/nara" in unit
    assert settings["RuntimeDirectory"] == "nara"


def test_nixos_module_offers_the_instance_options_and_hardening() -> None:
    module = (ROOT / "nara.nix").read_text()
    for option in ("soulFile", "httpAddr", "mqttHost", "environmentFile", "extraArgs"):
        assert re.search(rf"\b{option} = mkOption", module), option
    for setting in (
        "DynamicUser = true",
        'ProtectSystem = "strict"',
        "PrivateTmp = true",
        "NoNewPrivileges = true",
        'UMask = "0077"',
        '"@system-service"',
        "RestrictAddressFamilies",
        "RuntimeDirectory = ",
        "TMPDIR = ",
    ):
        assert setting in module, setting


STATE_DIR = "/var/lib/nara"


def test_every_deployment_keeps_a_state_directory() -> None:
    """Finding 11: the first start time and restart count outlive the process. The image sets
    NARA_STATE_DIR to a VOLUME its user owns; on Fly each handover carries them to the next
    machine; the systemd units and the NixOS module let systemd create a StateDirectory= and
    point NARA_STATE_DIR at it."""
    base = "\n".join(dockerfile_stage("base"))
    assert re.search(rf"^ENV .*\bNARA_STATE_DIR={STATE_DIR}\b", base, re.M)
    assert re.search(rf'^VOLUME \["{STATE_DIR}"\]$', base, re.M)
    assert f"chown 10001:10001 {STATE_DIR}" in base, "the image's user must own the state dir"
    assert base.index("VOLUME") < base.index("USER 10001"), "declared after it is prepared"

    # Fly: no volume (bluegreen refuses one); the image's state directory, on the machine's own
    # disk, is filled by each deploy's handover (test_fly_deploys_by_handover).
    fly = tomllib.loads((ROOT / "fly.toml").read_text())
    assert "mounts" not in fly
    assert "NARA_STATE_DIR" not in fly["env"], "the image's /var/lib/nara"

    unit = (ROOT / "packaging" / "nara.service").read_text()
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    assert settings["StateDirectory"] == "nara"
    assert f"Environment=NARA_STATE_DIR={STATE_DIR}" in unit
    template = unit_settings("nara@.service")
    assert template["StateDirectory"] == "nara-%i", "one state directory per slot"
    assert f"NARA_STATE_DIR={STATE_DIR}-%i" in template["Environment"]

    module = (ROOT / "nara.nix").read_text()
    assert 'stateDir = "nara-${name}"' in module
    assert "StateDirectory = stateDir" in module
    assert 'NARA_STATE_DIR = "/var/lib/${stateDir}"' in module


def test_npm_lock_names_a_url_and_hash_for_every_package() -> None:
    """flake.nix fetches the dashboard's dependencies with importNpmLock, by each package's
    "resolved" URL and "integrity" hash; a lock written without URLs (npm's
    omit-lockfile-registry-resolved) would break the Nix build."""
    lock = json.loads((ROOT / "nara-web" / "package-lock.json").read_text())
    packages = {path: meta for path, meta in lock["packages"].items() if path}
    assert packages
    for path, meta in packages.items():
        assert meta.get("resolved", "").startswith("https://"), path
        assert meta.get("integrity", "").startswith("sha512-"), path
    assert "importNpmLock" in (ROOT / "flake.nix").read_text()


def test_release_sbom_names_the_bootloader_build() -> None:
    """The release SBOM lists the venv; staticx, built from source outside it, is added by
    scripts/sbom_add_bootloader.py, pinned by the sdist hash the build checks."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "sbom_add_bootloader", ROOT / "scripts" / "sbom_add_bootloader.py"
    )
    assert spec and spec.loader
    sbom = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sbom)
    pin = (ROOT / "requirements" / "staticx-source.txt").read_text()
    component = sbom.staticx_component(pin)
    assert component["purl"].startswith("pkg:pypi/staticx@")
    assert component["hashes"][0]["content"] in pin
    bom = {"components": [{"name": "staticx", "version": "0"}, {"name": "aiohttp"}]}
    added = sbom.add_component(bom, component)
    assert [c["name"] for c in added["components"]] == ["aiohttp", "staticx"]
    assert added["components"][1] is component
    assert "sbom_add_bootloader.py" in (ROOT / ".github/workflows/release.yml").read_text()


def test_download_instructions_name_the_files_a_release_publishes() -> None:
    """The release publishes dist/nara-linux-$ARCH for ARCH amd64 and arm64 (Docker's names,
    which the image build uses too); the docs' download steps must name the same files."""
    release = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    arches = re.findall(r"^\s+arch: (\w+)$", release, re.M)
    assert sorted(set(arches)) == ["amd64", "arm64"]
    assert 'cp bin/nara "dist/nara-linux-$ARCH"' in release
    guide = (ROOT / "docs" / "getting-started.md").read_text()
    for arch in arches:
        assert f"`nara-linux-{arch}`" in guide
    assert "nara-linux-x86_64" not in guide and "nara-linux-aarch64" not in guide
    assert "dist/nara-linux-${TARGETARCH}" in (ROOT / "Dockerfile").read_text()


def test_systemd_and_nix_leave_descriptors_for_the_whole_connection_cap() -> None:
    """HTTP connections finding: under the common 1,024-descriptor limit a flood of half-sent
    requests took /livez down. The unit and the module set LimitNOFILE= so that the default
    connection cap is not cut down by the limit and the reserve stays free."""
    from nara.http.server import FD_RESERVE, MAX_CONNECTIONS_DEFAULT, connection_cap

    unit = (ROOT / "packaging" / "nara.service").read_text()
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    unit_limit = int(settings["LimitNOFILE"])
    module = (ROOT / "nara.nix").read_text()
    match = re.search(r"^\s*LimitNOFILE = (\d+);", module, re.M)
    assert match, "nara.nix serviceConfig sets no LimitNOFILE"
    for limit in (unit_limit, int(match.group(1))):
        assert limit >= MAX_CONNECTIONS_DEFAULT + FD_RESERVE
        assert connection_cap(limit, 0) == MAX_CONNECTIONS_DEFAULT


# ---- canary deploys (docs/deployment.md, "Canary deploys and soul handover") ------------------


def test_fly_deploys_by_handover() -> None:
    """bluegreen boots the new machine beside the old one; /readyz (a machine check, so that a
    broker outage never takes the dashboard off the proxy) gates the switch; the old machine,
    handed over, exits 0 and must stay stopped; a failed takeover (exit 2) is retried a few
    times only; the takeover address is per deploy (fly deploy --env), never in the file."""
    from nara.config import TAKEOVER_IF_GONE

    fly = tomllib.loads((ROOT / "fly.toml").read_text())
    assert fly["deploy"]["strategy"] == "bluegreen"
    assert [c["path"] for c in fly["checks"].values()] == ["/readyz"]
    assert all(c["port"] == 8080 and c["type"] == "http" for c in fly["checks"].values())
    assert [c["path"] for c in fly["http_service"]["checks"]] == ["/livez"]
    assert fly["http_service"]["auto_start_machines"] is False
    assert fly["http_service"]["auto_stop_machines"] == "off"
    (restart,) = fly["restart"]
    assert restart["policy"] == "on-failure" and 0 < restart["retries"] <= 3
    env = fly["env"]
    assert env["NARA_ACCEPT_TAKEOVER"] == "true"
    assert env["NARA_TAKEOVER_IF_GONE"] in TAKEOVER_IF_GONE
    assert env["NARA_TAKEOVER_IF_GONE"] == "start", "the machine's disk is reset when it stops"
    assert "NARA_TAKEOVER" not in env
    text = (ROOT / "fly.toml").read_text()
    assert 'NARA_TAKEOVER="http://$OLD.vm.$APP.internal:8080"' in text
    assert "fly deploy --ha=false" in text, "the first deploy must make one machine, not two"
    docs = (ROOT / "docs" / "deployment.md").read_text()
    assert 'fly deploy --env NARA_TAKEOVER="http://$OLD.vm.$APP.internal:8080"' in docs


# Keys in which the template unit differs from nara.service; every other setting (the
# hardening above all) must be the same.
TEMPLATE_DIFFERS = {
    "Description",
    "Environment",
    "EnvironmentFile",
    "RuntimeDirectory",
    "ExecPaths",
    "StateDirectory",
}


def test_template_unit_is_nara_service_with_slots_that_hand_over() -> None:
    plain, template = unit_settings("nara.service"), unit_settings("nara@.service")
    for key in set(plain) | set(template):
        if key not in TEMPLATE_DIFFERS:
            assert template.get(key) == plain.get(key), key
    assert template["Restart"] == "on-failure", "exit 0 after a handover must be final"
    assert template["RestartPreventExitStatus"] == "2", "a failed takeover must not loop"
    env = template["Environment"].splitlines()
    assert "NARA_ACCEPT_TAKEOVER=true" in env
    assert "TMPDIR=%t/nara-%i" in env and template["RuntimeDirectory"] == "nara-%i"
    assert template["ExecPaths"] == "%t/nara-%i"
    # The slot's own file (HTTP_ADDR, NARA_TAKEOVER) is read after the shared one.
    assert template["EnvironmentFile"].splitlines() == ["-/etc/nara/env", "-/etc/nara/%i.env"]
    assert plain["RestartPreventExitStatus"] == "2"


# Just enough of nixpkgs' lib to evaluate nara.nix: options are plain attribute sets whose
# defaults the test reads back, mkIf keeps its condition.
STUB_LIB = r"""
rec {
  mkOption = o: o;
  mkIf = cond: content: { _if = cond; inherit content; };
  literalExpression = x: x;
  types = {
    bool = "bool"; str = "str"; package = "package";
    nullOr = t: { nullOr = t; }; listOf = t: { listOf = t; };
    attrsOf = t: { attrsOf = t; }; submodule = m: { submodule = m; };
  };
  filter = builtins.filter;
  length = builtins.length;
  last = l: builtins.elemAt l (builtins.length l - 1);
  splitString = sep: s: builtins.filter builtins.isString (builtins.split sep s);
  toInt = builtins.fromJSON;
  hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
  unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
  optional = c: x: if c then [ x ] else [ ];
  optionalAttrs = c: x: if c then x else { };
  escapeShellArgs = args: builtins.concatStringsSep " " (map (a: "'" + a + "'") args);
  nameValuePair = name: value: { inherit name value; };
  mapAttrsToList = f: set: map (n: f n set.${n}) (builtins.attrNames set);
  mapAttrs' = f: set: builtins.listToAttrs (mapAttrsToList f set);
  filterAttrs = pred: set: builtins.listToAttrs (builtins.concatMap
    (n: if pred n set.${n} then [ { name = n; value = set.${n}; } ] else [ ])
    (builtins.attrNames set));
}
"""

NIX_EVAL = r"""
let
  lib = import STUB;
  module = import NARA_NIX;
  eval = instances: module {
    inherit lib;
    pkgs = { };
    config.services.nara = { package = "/pkg"; inherit instances; };
  };
  submodule = (eval { }).options.services.nara.instances.type.attrsOf.submodule;
  defaults = name:
    builtins.mapAttrs (_: o: o.default or null) (submodule { inherit name; }).options
    // { package = "/pkg"; };
  slot = name: port: defaults name // {
    naraName = "jojo";
    httpAddr = "127.0.0.1:${port}";
    soulFile = "/run/s";
    acceptTakeover = true;
  };
  instances = {
    plain = defaults "plain" // { httpAddr = "127.0.0.1:8079"; };
    jojo-a = slot "jojo-a" "8080";
    jojo-b = slot "jojo-b" "8081" // { takeover = "http://127.0.0.1:8080"; };
  };
  result = (eval instances).config.content;
  unit = u: {
    inherit (u) environment restartIfChanged;
    inherit (u.serviceConfig) ExecStart Restart RestartPreventExitStatus LoadCredential;
  };
  clash = (eval { x = instances.jojo-a; y = instances.jojo-a; }).config.content;
in {
  defaults = { inherit (defaults "n") acceptTakeover takeover naraName; };
  optionNames = builtins.attrNames (submodule { name = "n"; }).options;
  services = builtins.mapAttrs (_: unit) result.systemd.services;
  assertions = map (a: a.assertion) result.assertions;
  clash = map (a: a.assertion) clash.assertions;
}
"""


def test_nixos_module_runs_two_slots_of_one_nara(tmp_path: Path) -> None:
    """nara.nix evaluated by Nix itself (nixpkgs' lib replaced by a stub): the canary recipe's
    two entries become two units, the new one taking over, neither restarted by a switch."""
    import shutil
    import subprocess

    nix = shutil.which("nix-instantiate")
    assert nix, "nix-instantiate is not installed (Debian package nix-bin; make bootstrap)"
    stub = tmp_path / "lib.nix"
    stub.write_text(STUB_LIB)
    expr = NIX_EVAL.replace("STUB", str(stub)).replace("NARA_NIX", str(ROOT / "nara.nix"))
    out = subprocess.run(
        [nix, "--eval", "--strict", "--json", "-E", expr],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "NIX_STATE_DIR": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert {"acceptTakeover", "takeover"} <= set(got["optionNames"])
    assert got["defaults"] == {"acceptTakeover": False, "takeover": None, "naraName": "n"}
    units = got["services"]
    assert set(units) == {"nara-plain", "nara-jojo-a", "nara-jojo-b"}
    plain, old, new = units["nara-plain"], units["nara-jojo-a"], units["nara-jojo-b"]
    assert "NARA_TAKEOVER" not in plain["environment"]
    assert "NARA_ACCEPT_TAKEOVER" not in plain["environment"]
    assert plain["restartIfChanged"] is True
    assert old["environment"]["NARA_ACCEPT_TAKEOVER"] == "true"
    assert "NARA_TAKEOVER" not in old["environment"]
    assert old["restartIfChanged"] is False, "a switch must not restart the running slot"
    assert new["environment"]["NARA_TAKEOVER"] == "http://127.0.0.1:8080"
    assert new["environment"]["NARA_ID"] == old["environment"]["NARA_ID"] == "jojo"
    assert new["environment"]["NARA_STATE_DIR"] == "/var/lib/nara-jojo-b"
    assert new["LoadCredential"] == old["LoadCredential"] == ["soul:/run/s"]
    for unit in units.values():
        assert unit["Restart"] == "on-failure" and unit["RestartPreventExitStatus"] == 2
        assert unit["ExecStart"].startswith("/pkg/bin/nara serve")
    assert all(got["assertions"])
    assert not all(got["clash"]), "two slots on one port are refused"
