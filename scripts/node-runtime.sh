# Sourced by the project's scripts (never run on its own): puts the project's own Node LTS
# first on PATH, fetching it into the cache on first use. The Node that started npm only
# bootstraps; the build, the tests, the services, the benchmarks and the images run on this one.
# The version is pinned in .node-version (one source of truth, also read by infra/docker.sh).
mmp_node_runtime() {
  local root=$1 cache=${MMP_CACHE:-$HOME/.cache/mmp-fleet} version arch dir tmp
  version=$(tr -d ' \n' <"$root/.node-version")
  case $(uname -m) in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "[node] no Node build for $(uname -m); set MMP_SYSTEM_NODE=1 to use the Node on PATH" >&2; return 1 ;;
  esac
  dir=$cache/node/$version-linux-$arch
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "[node] npm is needed once, to fetch Node $version" >&2; return 1; }
    echo "[node] fetching Node $version (npm package node-linux-$arch) into $dir" >&2
    mkdir -p "$cache/node"
    tmp=$(mktemp -d "$cache/node/.fetch-XXXXXX")
    # npm checks the package's integrity against the registry's record.
    if ! (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null && tar xzf ./*.tgz); then
      rm -rf "$tmp"
      echo "[node] could not fetch node-linux-$arch@$version from the npm registry" >&2
      return 1
    fi
    "$tmp/package/bin/node" -e 'process.exit(0)' || { rm -rf "$tmp"; echo "[node] the fetched Node does not run here" >&2; return 1; }
    rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
}

if [ "${MMP_SYSTEM_NODE:-}" != 1 ]; then
  mmp_node_runtime "$ROOT" || exit 1
fi
