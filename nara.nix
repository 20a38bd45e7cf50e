# NixOS module: any number of naras on one machine, each a hardened systemd service.
#
#   imports = [ nara.nixosModules.default ];      # from flake.nix (sets services.nara.package)
#   services.nara.instances.home = {
#     soulFile = "/var/lib/secrets/nara-home.soul";   # a path string: never copied to the store
#     mqttHost = "tls://broker.example:8883";
#     environmentFile = "/var/lib/secrets/nara-home.env"; # e.g. MQTT_USER=..., MQTT_PASS=...
#   };
#   services.nara.instances.work = { httpAddr = ":8081"; extraArgs = [ "-memory-mode" "short" ]; };
#
# Each instance becomes nara-<name>.service, with its state in /var/lib/nara-<name>. Two instances
# need two ports (deployment spec §7).
#
# A canary deploy (soul handover, docs/deployment.md): two entries for one nara, the running one
# with acceptTakeover, the new one with takeover pointing at it; then remove the first.
#
#   services.nara.instances.jojo-a = { naraName = "jojo"; httpAddr = "127.0.0.1:8080";
#     soulFile = "/var/lib/secrets/jojo.soul"; acceptTakeover = true; };
#   services.nara.instances.jojo-b = { naraName = "jojo"; httpAddr = "127.0.0.1:8081";
#     soulFile = "/var/lib/secrets/jojo.soul"; acceptTakeover = true;
#     takeover = "http://127.0.0.1:8080"; };
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkOption mkIf types;
  cfg = config.services.nara;

  instanceModule = { name, ... }: {
    options = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Whether to run this nara.";
      };
      package = mkOption {
        type = types.package;
        default = cfg.package;
        defaultText = lib.literalExpression "config.services.nara.package";
        description = "The nara package for this instance.";
      };
      naraName = mkOption {
        type = types.str;
        default = name;
        description = "The nara's name (NARA_ID). Defaults to the instance's attribute name.";
      };
      soulFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/var/lib/secrets/nara.soul";
        description = ''
          File holding the soul (Base58). Passed with LoadCredential= and NARA_SOUL_FILE, so
          only the service can read it and it never enters the Nix store or the environment.
          null: nara derives a soul from this machine.
        '';
      };
      httpAddr = mkOption {
        type = types.str;
        default = ":8080";
        description = "HOST:PORT of the dashboard, API and docs (HTTP_ADDR).";
      };
      mqttHost = mkOption {
        type = types.str;
        default = "";
        example = "tls://broker.example:8883";
        description = "MQTT broker URL (MQTT_HOST). Empty: run alone, without a plaza.";
      };
      environmentFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "systemd EnvironmentFile= with further settings (secrets such as MQTT_PASS).";
      };
      extraArgs = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "-memory-mode" "short" ];
        description = "Extra command-line flags for `nara serve`.";
      };
      acceptTakeover = mkOption {
        type = types.bool;
        default = false;
        description = ''
          Let a new instance of this nara take over from this one (NARA_ACCEPT_TAKEOVER): a soul
          handover, see docs/deployment.md "Canary deploys and soul handover". It then exits 0
          without a chau. An instance that accepts a takeover is also not restarted by
          `nixos-rebuild switch` when its unit changes: the new version arrives by a handover
          to a second instance, never by a restart.
        '';
      };
      takeover = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "http://127.0.0.1:8080";
        description = ''
          Take over from the running instance of this nara at this HTTP address (NARA_TAKEOVER),
          usually another entry of services.nara.instances with the same naraName and soulFile
          and acceptTakeover = true. A failed takeover exits 2 (the unit fails, is not
          restarted) and the old instance keeps serving; restarted later with its own state,
          this instance starts on it.
        '';
      };
      openFirewall = mkOption {
        type = types.bool;
        default = false;
        description = "Open the TCP port of httpAddr in the firewall.";
      };
    };
  };

  enabled = lib.filterAttrs (_: inst: inst.enable) cfg.instances;
  portOf = inst: lib.toInt (lib.last (lib.splitString ":" inst.httpAddr));

  unit = name: inst:
    let
      runtimeDir = "nara-${name}";
      # First start time and restart count (nara/state.py); one directory per instance.
      stateDir = "nara-${name}";
    in {
      description = "nara ${inst.naraName}, a node of the nara social network";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      environment = {
        NARA_ID = inst.naraName;
        HTTP_ADDR = inst.httpAddr;
        # A one-file build unpacks itself here (see nara/launcher.py); harmless for the
        # package built from source, which runs Python directly.
        TMPDIR = "%t/${runtimeDir}";
        NARA_STATE_DIR = "/var/lib/${stateDir}";
      } // lib.optionalAttrs (inst.mqttHost != "") { MQTT_HOST = inst.mqttHost; }
        // lib.optionalAttrs (inst.soulFile != null) { NARA_SOUL_FILE = "%d/soul"; }
        // lib.optionalAttrs inst.acceptTakeover { NARA_ACCEPT_TAKEOVER = "true"; }
        // lib.optionalAttrs (inst.takeover != null) { NARA_TAKEOVER = inst.takeover; };
      # A restart would be a chau and a restart on the plaza; an instance that accepts a
      # takeover is replaced by a handover instead (docs/deployment.md).
      restartIfChanged = !inst.acceptTakeover;
      serviceConfig = {
        Type = "exec";
        ExecStart = "${inst.package}/bin/nara serve ${lib.escapeShellArgs inst.extraArgs}";
        EnvironmentFile = lib.optional (inst.environmentFile != null) inst.environmentFile;
        LoadCredential = lib.optional (inst.soulFile != null) "soul:${inst.soulFile}";
        RuntimeDirectory = runtimeDir;
        RuntimeDirectoryMode = "0700";
        ExecPaths = [ "%t/${runtimeDir}" ];
        # With DynamicUser, kept in /var/lib/private/nara-<name> (reached via /var/lib/nara-<name>).
        StateDirectory = stateDir;
        StateDirectoryMode = "0700";

        # SIGTERM to the main process only; nara says chau and exits within its 5 s budget.
        KillMode = "mixed";
        KillSignal = "SIGTERM";
        TimeoutStopSec = "10s";
        Restart = "on-failure";
        RestartSec = "5s";
        RestartPreventExitStatus = 2; # configuration error: a restart cannot fix it
        # Every HTTP connection holds a descriptor: room for nara's 2,048-connection cap plus
        # 192 kept for the plaza, files and /livez (nara/http/server.py).
        LimitNOFILE = 8192;

        DynamicUser = true;
        UMask = "0077";
        NoNewPrivileges = true;
        CapabilityBoundingSet = "";
        AmbientCapabilities = "";
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        PrivateIPC = true;
        PrivateMounts = true;
        ProtectProc = "invisible";
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        RestrictAddressFamilies = [ "AF_INET" "AF_INET6" "AF_UNIX" ];
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        SystemCallArchitectures = "native";
        SystemCallFilter = [ "@system-service" ];
        SystemCallErrorNumber = "EPERM";
      };
    };
in
{
  options.services.nara = {
    package = mkOption {
      type = types.package;
      description = "The nara package (the flake's nixosModules.default sets it).";
    };
    instances = mkOption {
      type = types.attrsOf (types.submodule instanceModule);
      default = { };
      description = "Naras to run, by instance name: each one is nara-<name>.service.";
    };
  };

  config = mkIf (enabled != { }) {
    assertions =
      lib.mapAttrsToList
        (name: inst: {
          assertion = inst.soulFile == null
            || (lib.hasPrefix "/" inst.soulFile && !lib.hasPrefix builtins.storeDir inst.soulFile);
          message = "services.nara.instances.${name}.soulFile must be an absolute path outside the Nix store (the soul is a secret).";
        })
        enabled
      ++ [{
        assertion =
          # Port 0 (a free port picked at start) never collides.
          let ports = lib.filter (port: port != 0) (lib.mapAttrsToList (_: portOf) enabled);
          in lib.length ports == lib.length (lib.unique ports);
        message = "services.nara.instances: every instance needs its own httpAddr port.";
      }];

    systemd.services = lib.mapAttrs' (name: inst: lib.nameValuePair "nara-${name}" (unit name inst)) enabled;

    networking.firewall.allowedTCPPorts =
      lib.mapAttrsToList (_: portOf) (lib.filterAttrs (_: inst: inst.openFirewall) enabled);
  };
}
