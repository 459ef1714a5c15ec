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
set -euo pipefail

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
say "Checking Debian packages (scripts/install-deps.sh)"
"$root/scripts/install-deps.sh"
command -v kubectl > /dev/null ||
  die "kubectl is not on PATH; install it (https://kubernetes.io/docs/tasks/tools/) and run again"

if [ ! -x "$pfd" ] || [ ! -x "$pfctl" ] || [ ! -x "$build/daemon/pfd-exec" ]; then
  say "Building pfd, pfctl and pfd-exec into $build"
  # shellcheck disable=SC2086 # PFD_CMAKE_ARGS is a list of options
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${PFD_CMAKE_ARGS:-}
  cmake --build "$build" -j "$(nproc)" --target pfd pfctl pfd-exec
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

say "Starting pfd on config/demo.yaml"
mkfifo "$tmp/pfd.out"
KUBECONFIG="$kubeconfig" KUBECACHEDIR="$tmp/kube-cache" NO_COLOR=1 setsid "$pfd" \
  --config "$root/config/demo.yaml" --socket "$socket" --log-level info \
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
if [ "${#ready[@]}" -lt "${#names[@]}" ]; then
  echo "Not every forward is READY after ${ready_timeout}s; LAST ERROR below says why."
fi

say "pfctl status"
"$pfctl" --socket "$socket" status

web_port=18080
say "A request through the web forward: curl http://127.0.0.1:$web_port/"
web_pod=$(curl -sS --noproxy '*' --max-time 5 "http://127.0.0.1:$web_port/" || true)
echo "answered by pod: ${web_pod:-<no answer>}"

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
