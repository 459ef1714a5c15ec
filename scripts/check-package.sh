#!/usr/bin/env bash
# check-package.sh BUILD_DIR: builds the pfd .deb from a configured build directory and proves it
# works on this machine: its contents and control fields, then a real `dpkg -i`, the installed
# programs, unit and helper, and `dpkg -r`. Needs root (or sudo) for dpkg; it installs and then
# removes the package named pfd system-wide, so run it on a CI or development machine, not on one
# where pfd is installed for real.
#
# Safe to run again: it rebuilds the package, and removes a pfd left installed by an interrupted
# run first. Any failure stops it with "check-package: FAILED: <what>" and a non-zero exit.
set -euo pipefail

readonly script_name=check-package
step() { printf '%s: %s\n' "$script_name" "$*"; }
die() {
  printf '%s: FAILED: %s\n' "$script_name" "$*" >&2
  exit 1
}

if [[ $# -ne 1 ]]; then
  printf 'usage: %s BUILD_DIR\n  BUILD_DIR: a configured and built pfd build directory\n' "$0" >&2
  exit 64
fi
build_dir=$(cd "$1" 2> /dev/null && pwd) || die "build directory '$1' does not exist"
[[ -f $build_dir/CMakeCache.txt ]] ||
  die "$build_dir is not a CMake build directory; configure it first (cmake -S . -B $1 -G Ninja)"
[[ -f $build_dir/CPackConfig.cmake ]] ||
  die "$build_dir has no CPackConfig.cmake; reconfigure it" \
    "(the top-level CMakeLists.txt must include(PfdPackaging))"

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo > /dev/null || die "dpkg -i needs root: run as root or install sudo"
  sudo="sudo"
fi
for tool in cpack dpkg-deb dpkg-shlibdeps dpkg systemd-analyze; do
  command -v "$tool" > /dev/null ||
    die "$tool is not installed; run scripts/install-deps.sh (it installs dpkg-dev and systemd)"
done

if grep -q '^PFD_SANITIZE:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  step "note: $build_dir is a sanitizer build; the package will depend on libasan/libubsan"
fi

workdir=$(mktemp -d /tmp/pfd-check-package.XXXXXX)
pfd_pid=""
installed_by_us=0
cleanup() {
  local status=$?
  if [[ -n $pfd_pid ]] && kill -0 "$pfd_pid" 2> /dev/null; then
    kill -KILL "$pfd_pid" 2> /dev/null || true
    wait "$pfd_pid" 2> /dev/null || true
  fi
  if ((installed_by_us)); then
    $sudo dpkg -r pfd > /dev/null 2>&1 || printf '%s: could not remove pfd; run dpkg -r pfd\n' \
      "$script_name" >&2
  fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT

# --- build ---------------------------------------------------------------------------------------
step "building the installed targets in $build_dir"
cmake --build "$build_dir" --target pfd pfctl pfctl-rpc pfd-exec pfd_man_pages > "$workdir/build.log" 2>&1 ||
  { tail -n 30 "$workdir/build.log" >&2; die "the build failed (log above)"; }

package_dir=$build_dir/package
rm -f "$package_dir"/pfd_*.deb
step "running cpack -G DEB"
(cd "$build_dir" && cpack -G DEB --config CPackConfig.cmake) > "$workdir/cpack.log" 2>&1 ||
  { cat "$workdir/cpack.log" >&2; die "cpack -G DEB failed (log above)"; }
shopt -s nullglob
debs=("$package_dir"/pfd_*.deb)
shopt -u nullglob
[[ ${#debs[@]} -eq 1 ]] || die "expected one pfd_*.deb in $package_dir, found ${#debs[@]}"
deb=${debs[0]}
step "built $deb ($(du -h "$deb" | cut -f1))"

# --- control fields ------------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == pfd ]] || die "Package is '$(field Package)', not pfd"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build_dir/CMakeCache.txt")
[[ $(field Version) == "$version"-* ]] ||
  die "Version is '$(field Version)'; the project version is $version"
[[ $(field Architecture) == "$(dpkg --print-architecture)" ]] ||
  die "Architecture is '$(field Architecture)', this machine is $(dpkg --print-architecture)"
for name in Maintainer Description Section Homepage; do
  [[ -n $(field "$name") ]] || die "the control file has no $name"
done
depends=$(field Depends)
[[ -n $depends ]] ||
  die "Depends is empty: dpkg-shlibdeps did not run (CPACK_DEBIAN_PACKAGE_SHLIBDEPS)"
# dpkg-shlibdeps derives these from what pfd and pfctl link; one missing means it saw the wrong
# binaries.
for library in libc6 libstdc++6 libgrpc++ libprotobuf libuv1 libyaml-cpp libcurl4 libsystemd0 \
  libspdlog libfmt libabsl; do
  [[ $depends == *"$library"* ]] || die "Depends lacks $library: $depends"
done
step "Depends: $depends"

# --- contents ------------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $1, $6}' > "$workdir/contents"
expect_file() {
  local mode=$1 path=$2
  grep -qxF -- "$mode ./$path" "$workdir/contents" ||
    die "the package lacks $path with mode $mode; it has:
$(sed 's/^/  /' "$workdir/contents")"
}
expect_file -rwxr-xr-x usr/bin/pfd
expect_file -rwxr-xr-x usr/bin/pfctl
expect_file -rwxr-xr-x usr/libexec/pfd/pfd-exec
expect_file -rwxr-xr-x usr/libexec/pfd/pfctl-rpc
expect_file -rw-r--r-- usr/lib/systemd/user/pfd.service
expect_file -rw-r--r-- usr/share/man/man1/pfd.1.gz
expect_file -rw-r--r-- usr/share/man/man1/pfctl.1.gz
expect_file -rw-r--r-- usr/share/man/man5/pfd.yaml.5.gz
expect_file -rw-r--r-- usr/share/bash-completion/completions/pfctl
expect_file -rw-r--r-- usr/share/bash-completion/completions/pfd
expect_file -rw-r--r-- usr/share/zsh/vendor-completions/_pfctl
expect_file -rw-r--r-- usr/share/fish/vendor_completions.d/pfctl.fish
expect_file -rw-r--r-- usr/share/doc/pfd/example.yaml
expect_file -rw-r--r-- usr/share/doc/pfd/pfd.schema.json
expect_file -rw-r--r-- usr/share/doc/pfd/copyright
if grep -v ' \./usr/' "$workdir/contents" | grep -qv ' \./$'; then
  die "the package has files outside /usr:$(grep -v ' \./usr/' "$workdir/contents")"
fi
if grep -q ' \./usr/local/' "$workdir/contents"; then
  die "the package installs under /usr/local; CPACK_INSTALL_PREFIX must be /usr"
fi
step "contents: $(grep -c -v '/$' "$workdir/contents") files, all where they belong"

# --- install -------------------------------------------------------------------------------------
if dpkg-query -W -f='${Status}' pfd 2> /dev/null | grep -q 'install ok installed'; then
  step "removing a pfd left installed by an earlier run"
  $sudo dpkg -r pfd > "$workdir/dpkg-r-old.log" 2>&1 ||
    { cat "$workdir/dpkg-r-old.log" >&2; die "dpkg -r pfd failed (log above)"; }
fi
step "installing with dpkg -i"
installed_by_us=1
if ! $sudo dpkg -i "$deb" > "$workdir/dpkg-i.log" 2>&1; then
  step "dpkg -i left dependencies missing; running apt-get install -f"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -f -y > "$workdir/apt.log" 2>&1 ||
    {
      cat "$workdir/dpkg-i.log" "$workdir/apt.log" >&2
      die "pfd's dependencies cannot be installed (logs above)"
    }
fi
dpkg-query -W -f='${Status}' pfd | grep -q 'install ok installed' ||
  { cat "$workdir/dpkg-i.log" >&2; die "pfd is not installed after dpkg -i (log above)"; }

version_line=$(/usr/bin/pfd --version) || die "/usr/bin/pfd --version failed"
[[ $version_line == "pfd $version" ]] || die "/usr/bin/pfd --version printed '$version_line'"
/usr/bin/pfctl --help > "$workdir/pfctl-help" || die "/usr/bin/pfctl --help failed"
grep -q '^Subcommands:' "$workdir/pfctl-help" || die "/usr/bin/pfctl --help shows no subcommands"
[[ -x /usr/libexec/pfd/pfd-exec ]] || die "/usr/libexec/pfd/pfd-exec is missing"
[[ -x /usr/libexec/pfd/pfctl-rpc ]] || die "/usr/libexec/pfd/pfctl-rpc is missing"
# pfctl answers `status --short` itself, without the full client (client/full_client.h).
short_status=0
short=$(/usr/bin/pfctl --socket "$workdir/none.sock" status --short) || short_status=$?
[[ $short == "pfd: not running" && $short_status -eq 3 ]] ||
  die "/usr/bin/pfctl status --short printed '$short' and exited $short_status"

unit=/usr/lib/systemd/user/pfd.service
[[ -f $unit ]] || die "$unit is missing"
grep -qx 'ExecStart=/usr/bin/pfd' "$unit" ||
  die "$unit does not start /usr/bin/pfd: $(grep ExecStart= "$unit")"
grep -qx 'ExecReload=/usr/bin/pfctl reload' "$unit" ||
  die "$unit does not reload with /usr/bin/pfctl reload: $(grep ExecReload= "$unit")"
mkdir -m 0700 "$workdir/runtime"
verify=$(XDG_RUNTIME_DIR=$workdir/runtime systemd-analyze --user verify --man=no "$unit" 2>&1) ||
  die "systemd-analyze verify rejects $unit: $verify"
[[ -z $verify ]] || die "systemd-analyze verify complains about $unit: $verify"
step "installed: $version_line; pfctl --help works; $unit verifies"

# The installed pfd must find /usr/libexec/pfd/pfd-exec and run a child through it. pfd logs
# "serving ..." once the child has been spawned; the child being alive then is the proof.
cat > "$workdir/forwards.yaml" << 'EOF'
reloadOnChange: false
forwards:
  - name: smoke
    command: ["sleep", "300"]
    ports: ["1"]
EOF
mkfifo "$workdir/pfd.log"
NO_COLOR=1 /usr/bin/pfd --config "$workdir/forwards.yaml" --socket "$workdir/pfd.sock" \
  2> "$workdir/pfd.log" > /dev/null < /dev/null &
pfd_pid=$!
exec {pfd_log}< "$workdir/pfd.log"
served=0
while IFS= read -r -t 20 line <&"$pfd_log"; do
  printf '%s\n' "$line" >> "$workdir/pfd.log.txt"
  if [[ $line == *"serving pfd.v1.Control"* ]]; then
    served=1
    break
  fi
done
if ((!served)); then
  cat "$workdir/pfd.log.txt" >&2 2> /dev/null
  die "the installed pfd did not start (its log is above)"
fi
# Keep draining pfd's log so that it never blocks on a full pipe.
cat <&"$pfd_log" >> "$workdir/pfd.log.txt" &
drain_pid=$!
status_json=$(/usr/bin/pfctl --socket "$workdir/pfd.sock" status -o json) ||
  die "/usr/bin/pfctl status failed against the installed pfd"
child_pid=$(printf '%s\n' "$status_json" | sed -n 's/^ *"pid": \([0-9]*\),*$/\1/p' | head -n 1)
[[ -n $child_pid && $child_pid != 0 ]] ||
  die "the installed pfd started no child (is /usr/libexec/pfd/pfd-exec found?): $status_json"
kill -TERM "$pfd_pid"
pfd_status=0
wait "$pfd_pid" || pfd_status=$?
pfd_pid=""
wait "$drain_pid" 2> /dev/null || true
exec {pfd_log}<&-
[[ $pfd_status -eq 0 ]] || die "the installed pfd exited $pfd_status after SIGTERM"
if kill -0 "$child_pid" 2> /dev/null && [[ $(ps -o comm= -p "$child_pid") == sleep ]]; then
  die "the child $child_pid outlived pfd"
fi
step "the installed pfd ran a child (pid $child_pid) through pfd-exec and stopped it"

# --- remove --------------------------------------------------------------------------------------
step "removing with dpkg -r"
$sudo dpkg -r pfd > "$workdir/dpkg-r.log" 2>&1 ||
  { cat "$workdir/dpkg-r.log" >&2; die "dpkg -r pfd failed (log above)"; }
installed_by_us=0
for path in /usr/bin/pfd /usr/bin/pfctl /usr/libexec/pfd/pfd-exec /usr/libexec/pfd/pfctl-rpc \
  "$unit"; do
  [[ ! -e $path ]] || die "$path is still there after dpkg -r pfd"
done
step "OK: $(basename "$deb") builds, installs, runs and removes cleanly"
