#!/usr/bin/env bash
# The pfd demo: a fake Kubernetes cluster (tests/e2e/fakekube) on 127.0.0.1, pfd keeping the
# forwards of config/demo.yaml to it alive with real kubectl, and `pfctl watch` until Ctrl-C.
# Ctrl-C (or SIGTERM) stops everything the demo started, by PID, and removes its temp dir.
#
# It installs missing Debian packages (scripts/install-deps.sh) and builds pfd, pfctl and pfd-exec
# into build/ (PFD_BUILD_DIR) if they are not built yet; PFD_CMAKE_ARGS adds cmake options. It
# needs kubectl on PATH (not a Debian package: https://kubernetes.io/docs/tasks/tools/).
#
# It always uses its own demo cluster, even when your kubeconfig has a working context: its
# forwards name objects only the demo cluster has. To forward from a real cluster, write a config
# (config/example.yaml, docs/config.md) and run pfd on it.
#
#   scripts/demo.sh --check   starts everything, waits until every forward is READY, prints
#                             `pfctl status`, makes one request through the web forward, then
#                             stops everything it started and exits: 0 if all of that worked.
#                             It neither installs packages nor builds (the test suite runs it).
#   PFD_DEMO_PORT_BASE=N      the local ports are N..N+3 (web, api, db, cart) instead of
#                             config/demo.yaml's 18080, 18081, 15432, 18082.
set -euo pipefail

check=""
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) printf 'usage: %s [--check]\n' "$0" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=${PFD_BUILD_DIR:-$root/build}
python=/usr/bin/python3  # Debian's: fakekube needs only its standard library
pfd="$build/daemon/pfd"
pfctl="$build/client/pfctl"
ready_timeout=60

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
else
  say() { printf '==> %s\n' "$*"; }
fi
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# --- dependencies and build ------------------------------------------------------------------
if [ -z "$check" ]; then
  say "Checking Debian packages (scripts/install-deps.sh)"
  "$root/scripts/install-deps.sh"
fi
command -v kubectl > /dev/null ||
  die "kubectl is not on PATH; install it (https://kubernetes.io/docs/tasks/tools/) and run again"

if [ -n "$check" ]; then
  for binary in "$pfd" "$pfctl" "$build/client/pfctl-rpc" "$build/daemon/pfd-exec"; do
    [ -x "$binary" ] || die "--check does not build: $binary is missing (PFD_BUILD_DIR=$build)"
  done
elif [ ! -x "$pfd" ] || [ ! -x "$pfctl" ] || [ ! -x "$build/client/pfctl-rpc" ] ||
  [ ! -x "$build/daemon/pfd-exec" ]; then
  say "Building pfd, pfctl (and pfctl-rpc) and pfd-exec into $build"
  # shellcheck disable=SC2086 # PFD_CMAKE_ARGS is a list of options
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${PFD_CMAKE_ARGS:-}
  cmake --build "$build" -j "$(nproc)" --target pfd pfctl pfctl-rpc pfd-exec
fi

if [ "${PFD_DEMO_REAL:-}" = 1 ]; then
  die "PFD_DEMO_REAL=1: the demo has no real-cluster mode (its forwards name objects only the" \
    "demo cluster has); write a config for your cluster (config/example.yaml) and run pfd on it"
fi
if context=$(kubectl config current-context 2> /dev/null) && [ -n "$context" ]; then
  say "Your kubeconfig's current context is '$context': the demo leaves it alone" \
    "and runs its own cluster"
fi

# --- everything below is stopped by cleanup() --------------------------------------------------
tmp=$(mktemp -d /tmp/pfd-demo.XXXXXX)  # short: a Unix socket path must fit in 107 bytes
socket="$tmp/pfd.sock"
cluster_pid="" pfd_pid="" watch_pid="" drain_pids=()

stop_pid() {  # stop_pid PID NAME: SIGTERM, then SIGKILL if it is still there after 10 s
  local pid=$1 name=$2 waited=0
  [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null || return 0
  kill -TERM "$pid" 2> /dev/null || return 0
  while kill -0 "$pid" 2> /dev/null && [ "$waited" -lt 100 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2> /dev/null; then
    printf 'demo: %s (pid %s) ignored SIGTERM; killing it\n' "$name" "$pid" >&2
    kill -KILL "$pid" 2> /dev/null || true
  fi
  wait "$pid" 2> /dev/null || true
}

cleanup() {
  trap - INT TERM EXIT
  # `demo.sh | tee log` and Ctrl-C: tee is gone, yet every process must still be stopped.
  trap '' PIPE
  set +e
  echo
  say "Stopping the demo"
  stop_pid "$watch_pid" "pfctl watch"
  stop_pid "$pfd_pid" "pfd"  # pfd stops its kubectl children before it exits
  stop_pid "$cluster_pid" "the demo cluster"
  for pid in "${drain_pids[@]}"; do
    stop_pid "$pid" "a log reader"
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Output is read through FIFOs so that the demo waits for the lines that say a process is ready,
# not for a guessed time; once the line is there, a `cat` keeps copying the rest to a log file.
drain_to() {  # drain_to FD LOGFILE: copy what is left on FD to LOGFILE in the background
  cat <&"$1" >> "$2" &
  drain_pids+=("$!")
  eval "exec $1<&-"
}

say "Starting the demo cluster (fakekube serve --demo)"
mkfifo "$tmp/cluster.out"
# setsid: Ctrl-C in this terminal reaches pfctl watch and this script, whose trap then stops the
# processes below in order (pfd before the cluster its kubectl children talk to).
PYTHONPATH="$root/tests/e2e" setsid "$python" -m fakekube serve --dir "$tmp/cluster" --demo \
  > "$tmp/cluster.out" 2> "$tmp/cluster.log" &
cluster_pid=$!
exec 3< "$tmp/cluster.out"
IFS= read -r -t 30 ready_line <&3 ||
  die "the demo cluster did not start; its log: $(cat "$tmp/cluster.log")"
drain_to 3 "$tmp/cluster.log"
json_field() { "$python" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$@"; }
kubeconfig=$(json_field "$ready_line" kubeconfig)
control_url=$(json_field "$ready_line" control_url)
api_url=$(json_field "$ready_line" api_url)
echo "API server $api_url, kubeconfig $kubeconfig"

config="$root/config/demo.yaml"
web_port=18080
if [ -n "${PFD_DEMO_PORT_BASE:-}" ]; then
  base=$PFD_DEMO_PORT_BASE
  case "$base" in '' | *[!0-9]*) die "PFD_DEMO_PORT_BASE must be a port number" ;; esac
  if [ "$base" -lt 1 ] || [ "$base" -gt 65532 ]; then
    die "PFD_DEMO_PORT_BASE must be 1-65532"
  fi
  web_port=$base
  config="$tmp/demo.yaml"
  sed -e "s/\"18080:/\"$base:/" -e "s/\"18081:/\"$((base + 1)):/" \
    -e "s/\"15432:/\"$((base + 2)):/" -e "s/\"18082:/\"$((base + 3)):/" \
    "$root/config/demo.yaml" > "$config"
fi

say "Starting pfd on config/demo.yaml"
mkfifo "$tmp/pfd.out"
KUBECONFIG="$kubeconfig" KUBECACHEDIR="$tmp/kube-cache" NO_COLOR=1 setsid "$pfd" \
  --config "$config" --socket "$socket" --log-level info \
  > "$tmp/pfd.out" 2>&1 < /dev/null &
pfd_pid=$!
exec 4< "$tmp/pfd.out"
: > "$tmp/pfd.log"
while IFS= read -r -t 30 line <&4; do
  printf '%s\n' "$line" >> "$tmp/pfd.log"
  case "$line" in *"serving pfd.v1.Control"*) break ;; esac
done
if ! kill -0 "$pfd_pid" 2> /dev/null || [ ! -S "$socket" ]; then
  die "pfd did not start; its log:"$'\n'"$(cat "$tmp/pfd.log")"
fi
drain_to 4 "$tmp/pfd.log"

say "Waiting until every forward is READY (pfctl watch)"
mapfile -t names < <("$pfctl" --socket "$socket" status | awk 'NR > 1 { print $1 }')
coproc WATCH { NO_COLOR=1 exec "$pfctl" --socket "$socket" watch; }
# shellcheck disable=SC2153 # coproc sets WATCH_PID
watch_pid=$WATCH_PID
declare -A ready=()
deadline=$((SECONDS + ready_timeout))
while [ "${#ready[@]}" -lt "${#names[@]}" ] && [ "$SECONDS" -lt "$deadline" ]; do
  IFS= read -r -t $((deadline - SECONDS)) line <&"${WATCH[0]}" || break
  read -r name _ _ state _ <<< "$line"
  case "$state" in
    READY) ready[$name]=1 ;;
    *) unset "ready[$name]" ;;
  esac
done
stop_pid "$watch_pid" "pfctl watch"
watch_pid=""
all_ready=1
if [ "${#ready[@]}" -lt "${#names[@]}" ]; then
  all_ready=""
  echo "Not every forward is READY after ${ready_timeout}s; LAST ERROR below says why."
fi

say "pfctl status"
"$pfctl" --socket "$socket" status

say "A request through the web forward: GET http://127.0.0.1:$web_port/"
# Python's urllib rather than curl: Debian's python3 is a dependency already (fakekube).
web_pod=$("$python" -c '
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
print(opener.open(sys.argv[1], timeout=5).read().decode())' "http://127.0.0.1:$web_port/" \
  2> /dev/null || true)
echo "answered by pod: ${web_pod:-<no answer>}"

if [ -n "$check" ]; then
  if [ -n "$all_ready" ] && [ -n "$web_pod" ]; then
    say "demo check passed: ${#names[@]} forwards READY, web answered by $web_pod"
    exit 0
  fi
  say "demo check failed; pfd's log:"
  cat "$tmp/pfd.log"
  exit 1
fi

cat << EOF

pfd is serving its control socket at $socket. From another terminal:

  export PFD_SOCKET=$socket
  $pfctl status -o wide
  $pfctl logs web
  $pfctl restart web

Break the cluster and watch pfd heal the forwards (the rows below change):

  # delete the pod web forwards to; pfd moves the forward to the other pod
  curl -XPOST $control_url/pods/default/${web_pod:-POD}/delete
  curl http://127.0.0.1:$web_port/
  # the API server refuses connections for a while (pfd backs off: "API server unreachable")
  curl -XPOST $control_url/api/down
  curl -XPOST $control_url/api/up

pfd's log: $tmp/pfd.log

EOF
say "pfctl watch (Ctrl-C stops pfd, the demo cluster and everything else the demo started)"
# In the background with `wait`: bash runs a trap only once its foreground command has finished,
# while `wait` returns at once on a signal, so SIGTERM stops the demo too.
NO_COLOR=1 "$pfctl" --socket "$socket" watch &
watch_pid=$!
wait "$watch_pid" || true
