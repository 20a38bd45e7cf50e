# nara with Nix: `make build-nix` (nix build .#default) builds it from source, reproducibly:
#   - the dashboard with buildNpmPackage, its dependencies fetched by importNpmLock straight from
#     nara-web/package-lock.json (each by its "resolved" URL and "integrity" hash, so there is
#     no npmDepsHash to keep in step with the lock file),
#   - the docs with mkdocs and mkdocs-material from nixpkgs,
#   - the Python application with buildPythonApplication, assets as package data (nara/web).
# The result runs Python directly (no one-file launcher): $out/bin/nara.
#
# nixosModules.default is nara.nix with services.nara.package defaulting to this package.
{
  description = "nara: a node of the nara social network for computers";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs = { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      version = (builtins.fromTOML (builtins.readFile ./pyproject.toml)).project.version;
      commit = self.rev or self.dirtyRev or "unknown";
      # Build date: the last commit's time, so two builds of one commit are identical.
      d = self.lastModifiedDate or "19700101000000";
      buildDate = "${builtins.substring 0 4 d}-${builtins.substring 4 2 d}-${builtins.substring 6 2 d}"
        + "T${builtins.substring 8 2 d}:${builtins.substring 10 2 d}:${builtins.substring 12 2 d}Z";

      # Build inputs only: never local build output, caches or the venv (a git flake already
      # leaves out untracked and ignored files; this also covers `path:` use).
      src = lib.cleanSourceWith {
        src = ./.;
        filter = path: type:
          let rel = lib.removePrefix (toString ./. + "/") (toString path);
          in !(lib.elem rel [ ".venv" "bin" "build" "dist" "result" "test-artifacts"
                              "nara-web/node_modules" "nara-web/public" ])
             && !(lib.elem (baseNameOf path) [ ".git" "__pycache__" ".mypy_cache" ".ruff_cache" ".pytest_cache" ]);
      };

      naraFor = pkgs:
        let
          py = pkgs.python3Packages;

          web = pkgs.buildNpmPackage {
            pname = "nara-web";
            inherit version;
            src = "${src}/nara-web";
            npmDeps = pkgs.importNpmLock {
              package = lib.importJSON ./nara-web/package.json;
              packageLock = lib.importJSON ./nara-web/package-lock.json;
            };
            npmConfigHook = pkgs.importNpmLock.npmConfigHook;
            # `npm run build` (esbuild) writes public/; keep exactly that.
            installPhase = ''
              runHook preInstall
              cp -r public "$out"
              runHook postInstall
            '';
          };

          docs = pkgs.runCommand "nara-docs-${version}"
            {
              nativeBuildInputs = [ (pkgs.python3.withPackages (ps: [ ps.mkdocs ps.mkdocs-material ])) ];
              NO_MKDOCS_2_WARNING = "1";
              SOURCE_DATE_EPOCH = toString (self.lastModified or 0);
            } ''
            cp -r ${src}/docs docs
            cp ${src}/mkdocs.yml mkdocs.yml
            chmod -R u+w docs
            mkdocs build --strict --site-dir "$out"
          '';
        in
        py.buildPythonApplication {
          pname = "nara";
          inherit version src;
          pyproject = true;
          build-system = [ py.setuptools ];
          dependencies = with py; [
            aiohttp
            aiomqtt
            paho-mqtt
            cryptography
            base58
            certifi
            prometheus-client
          ];

          # nara/web is a symlink to the (unbuilt) nara-web/public in the source: replace it with
          # the built dashboard and docs, stamped like scripts/build-web.sh does, and add the
          # build facts nara/buildinfo.py reads (package data, like nara/web).
          postPatch = ''
            rm -f nara/web
            mkdir -p nara/web
            cp -r ${web}/. nara/web/
            cp -r ${docs} nara/web/docs
            chmod -R u+w nara/web
            ${pkgs.python3.interpreter} scripts/asset_hash.py --root . > nara/web/asset-hash.txt
            cat > nara/_buildinfo.json <<EOF
            {"version": "${version}", "commit": "${commit}", "build_date": "${buildDate}",
             "asset_hash": "$(cat nara/web/asset-hash.txt)"}
            EOF
          '';

          pythonImportsCheck = [ "nara" "nara.cli" "nara.app" ];

          meta = {
            description = "A node of the nara social network for computers";
            license = lib.licenses.isc;
            mainProgram = "nara";
            platforms = lib.platforms.unix;
          };
        };
    in
    {
      packages = forAllSystems (pkgs: rec {
        nara = naraFor pkgs;
        default = nara;
      });

      nixosModules.default = { lib, pkgs, ... }: {
        imports = [ ./nara.nix ];
        services.nara.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      };
      nixosModules.nara = self.nixosModules.default;

      overlays.default = final: _prev: { nara = naraFor final; };
    };
}
