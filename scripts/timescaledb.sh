#!/usr/bin/env bash
# Bring up a real TimescaleDB (Apache edition, Debian trixie's
# postgresql-17-timescaledb, 2.19.x) for the test suite, without touching the
# host's own PostgreSQL: a minimal Debian trixie chroot is debootstrapped from
# the Debian mirror this machine's apt already uses, PostgreSQL 17 plus the
# extension are installed in it, and one cluster is run from the chroot,
# listening on 127.0.0.1 only with trust auth.
#
#   scripts/timescaledb.sh up       build (first time) + start; last stdout line = URL
#   scripts/timescaledb.sh down     stop the server, unmount /proc,/dev in the chroot
#   scripts/timescaledb.sh status   print state; exit 0 if running, 3 if not
#   scripts/timescaledb.sh url      print the connection URL
#
# CI:  export ALPACA_DASH_TEST_TIMESCALE_URL=$(scripts/timescaledb.sh up | tail -1)
#
# Environment:
#   TIMESCALE_PORT     TCP port on 127.0.0.1 (default 5433)
#   TIMESCALE_CHROOT   where the chroot is cached, outside the repo
#                      (default /var/cache/alpaca-dash/timescale-trixie)
#   TIMESCALE_MIRROR   Debian mirror URL; default: read at run time from this
#                      machine's apt sources (the entry serving its own release)
#
# Must run as root (debootstrap, chroot, mount). The chroot is reused across
# runs; a chroot without the "ready" marker (interrupted build, or built from
# an older recipe) is thrown away and rebuilt. The cluster's data directory
# lives inside the chroot and survives down/up.
set -euo pipefail

readonly SUITE=trixie
readonly PG_MAJOR=17
readonly CLUSTER=main
readonly PACKAGES="postgresql-${PG_MAJOR} postgresql-${PG_MAJOR}-timescaledb"
# Bump when the build recipe changes: chroots built by another recipe are rebuilt.
readonly RECIPE="recipe=2 suite=${SUITE} packages=${PACKAGES// /,}"
readonly EXPECTED_TS_SERIES=2.19

CHROOT=${TIMESCALE_CHROOT:-/var/cache/alpaca-dash/timescale-trixie}
CHROOT=${CHROOT%/}
REQUESTED_PORT=${TIMESCALE_PORT:-5433}
MARKER_NAME=.alpaca-dash-timescale-ready
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

prog=${0##*/}

log() { printf '[%s %s] %s\n' "$prog" "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[%s %s] ERROR: %s\n' "$prog" "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

usage() {
    cat <<EOF
Usage: $prog {up|down|status|url|--help}

Runs TimescaleDB ${EXPECTED_TS_SERIES} (Apache edition) on PostgreSQL ${PG_MAJOR} from a
Debian ${SUITE} chroot, for tests.

  up      Build the chroot if needed (first time about a minute), create the
          cluster if needed, start it, check CREATE EXTENSION timescaledb.
          Progress goes to stderr; the last (only) stdout line is the URL:
            export ALPACA_DASH_TEST_TIMESCALE_URL=\$($0 up | tail -1)
          Already running: just prints the URL.
  down    Stop the server (data is kept) and unmount /proc,/dev in the chroot.
  status  Print the state; exit 0 if running, 3 if not.
  url     Print the connection URL (postgresql://postgres@127.0.0.1:PORT/postgres).

Environment:
  TIMESCALE_PORT    port on 127.0.0.1 (default 5433)
  TIMESCALE_CHROOT  chroot cache dir (default /var/cache/alpaca-dash/timescale-trixie)
  TIMESCALE_MIRROR  Debian mirror (default: read from this machine's apt sources)
EOF
}

# ---------------------------------------------------------------- checks ----

validate_settings() {
    [[ $REQUESTED_PORT =~ ^[0-9]+$ ]] && (( REQUESTED_PORT >= 1024 && REQUESTED_PORT <= 65535 )) ||
        die "TIMESCALE_PORT must be a port number in 1024..65535, got '$REQUESTED_PORT'"
    # The chroot path is used with mount/umount/rm -rf: keep it boring.
    [[ $CHROOT == /* ]] || die "TIMESCALE_CHROOT must be an absolute path, got '$CHROOT'"
    [[ $CHROOT =~ ^(/[A-Za-z0-9._+-]+){2,}$ ]] && [[ $CHROOT != *'/..'* && $CHROOT != *'/./'* ]] ||
        die "TIMESCALE_CHROOT must be a plain absolute path at least two levels deep (letters, digits, ._+-), got '$CHROOT'"
    case $CHROOT in
        /bin|/boot|/dev|/etc|/home|/lib*|/proc|/root|/run|/sbin|/sys|/usr|/var|/var/cache|/var/lib|/tmp)
            die "refusing TIMESCALE_CHROOT=$CHROOT" ;;
    esac
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot and mount need it)"
}

# ---------------------------------------------------------------- mirror ----

# Print the URI of the first enabled "deb" entry in the apt sources whose
# suites include this machine's own release codename (i.e. the Debian
# archive mirror, not the -security archive or a third-party repository).
detect_mirror() {
    if [[ -n ${TIMESCALE_MIRROR:-} ]]; then
        printf '%s\n' "${TIMESCALE_MIRROR%/}"
        return
    fi
    local codename='' f uri=''
    # shellcheck disable=SC1091
    codename=$(. /etc/os-release 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}")
    [[ -n $codename ]] || codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null || true)
    [[ -n $codename ]] || die "cannot tell this machine's Debian codename from /etc/os-release; set TIMESCALE_MIRROR"

    local files=()
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] && files+=("$f")
    done
    for f in "${files[@]}"; do
        if [[ $f == *.sources ]]; then
            # deb822: paragraphs of "Field: value", blank-line separated.
            uri=$(awk -v want="$codename" '
                function flush() {
                    if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no" &&
                        (" " suites " ") ~ ("[ \t]" want "[ \t]") && uris != "") {
                        split(uris, u, /[ \t]+/); print u[1]; found = 1; exit
                    }
                    types = uris = suites = enabled = ""
                }
                /^[ \t]*#/ { next }
                /^[ \t]*$/ { flush(); next }
                {
                    line = $0; key = line; sub(/:.*/, "", key); val = line; sub(/^[^:]*:[ \t]*/, "", val)
                    key = tolower(key)
                    if (key == "types") types = val; else if (key == "uris") uris = val
                    else if (key == "suites") suites = val; else if (key == "enabled") enabled = val
                }
                END { if (!found) flush() }' "$f")
        else
            # one-line style: deb [options] uri suite component...
            uri=$(awk -v want="$codename" '
                /^[ \t]*deb[ \t]/ {
                    line = $0; sub(/^[ \t]*deb[ \t]+/, "", line)
                    if (line ~ /^\[/) sub(/^\[[^]]*\][ \t]*/, "", line)
                    n = split(line, w, /[ \t]+/)
                    if (n >= 2 && w[2] == want) { print w[1]; exit }
                }' "$f")
        fi
        if [[ -n $uri ]]; then
            printf '%s\n' "${uri%/}"
            return
        fi
    done
    die "no enabled 'deb' entry for '$codename' in /etc/apt/sources.list{,.d/*}; set TIMESCALE_MIRROR"
}

# ---------------------------------------------------------------- mounts ----

# Mount points at or below $1, deepest first.
mounts_under() {
    local root=$1
    awk -v r="$root" '{ m = $5; if (m == r || index(m, r "/") == 1) print m }' /proc/self/mountinfo |
        awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-
}

unmount_all_under() {
    local root=$1 m
    for _ in 1 2 3; do
        local any=0
        while IFS= read -r m; do
            [[ -n $m ]] || continue
            any=1
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done < <(mounts_under "$root")
        (( any )) || return 0
    done
    [[ -z $(mounts_under "$root") ]] || die "could not unmount everything under $root: $(mounts_under "$root" | tr '\n' ' ')"
}

# /proc, /dev (+pts, shm) inside the chroot, needed by apt/dpkg and the server.
mount_chroot_fs() {
    local root=$1
    mkdir -p "$root/proc" "$root/dev"
    mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
    if ! mountpoint -q "$root/dev"; then
        mount --bind /dev "$root/dev"
        # Never let anything mounted below the chroot's /dev propagate back to the host's.
        mount --make-rslave "$root/dev"
    fi
    if [[ -d $root/dev/pts ]] && ! mountpoint -q "$root/dev/pts" && mountpoint -q /dev/pts; then
        mount --bind /dev/pts "$root/dev/pts"
    fi
    # Own tmpfs for POSIX dynamic shared memory (the non-recursive /dev bind
    # shows the host's /dev/shm as an empty directory).
    if [[ -d $root/dev/shm ]] && ! mountpoint -q "$root/dev/shm"; then
        mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
    fi
}

# Delete a chroot tree safely: never with host filesystems mounted inside it.
remove_tree() {
    local d=$1
    [[ -e $d ]] || return 0
    unmount_all_under "$d"
    rm -rf --one-file-system -- "$d"
}

# ----------------------------------------------------------------- chroot ---

in_chroot_at() {
    local root=$1; shift
    local envs=(PATH="$CHROOT_PATH" HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=dumb
                DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true)
    local v
    for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
        [[ -n ${!v:-} ]] && envs+=("$v=${!v}")
    done
    env -i "${envs[@]}" chroot "$root" "$@"
}

in_chroot() { in_chroot_at "$CHROOT" "$@"; }

chroot_ready() {
    [[ -f $CHROOT/$MARKER_NAME ]] && grep -qxF "$RECIPE" "$CHROOT/$MARKER_NAME"
}

build_chroot() {
    local mirror build="${CHROOT}.partial" t0=$SECONDS
    mirror=$(detect_mirror)
    log "building the ${SUITE} chroot in $CHROOT (mirror from apt sources: $mirror)"

    if ! command -v debootstrap >/dev/null 2>&1; then
        log "debootstrap not found: apt-get install -y debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2 ||
            die "could not install debootstrap (try: apt-get update && apt-get install -y debootstrap)"
    fi

    remove_tree "$build"
    mkdir -p "$(dirname "$CHROOT")"
    # Unmount the half-built tree on any exit from here on (success or not).
    trap 'unmount_all_under "'"$build"'" || true' EXIT

    local include=()
    [[ $mirror == https:* ]] && include=(--include=ca-certificates)
    log "debootstrap --variant=minbase ${SUITE} (takes a while)"
    debootstrap --variant=minbase "${include[@]}" "$SUITE" "$build" "$mirror" >&2 ||
        die "debootstrap of ${SUITE} from $mirror failed (see above; log: $build/debootstrap/debootstrap.log)"

    # No service may start inside the chroot while packages are installed.
    printf '#!/bin/sh\nexit 101\n' > "$build/usr/sbin/policy-rc.d"
    chmod 755 "$build/usr/sbin/policy-rc.d"
    cp -L /etc/resolv.conf "$build/etc/resolv.conf" 2>/dev/null || true
    cp -L /etc/hosts "$build/etc/hosts" 2>/dev/null || true
    printf 'deb %s %s main\n' "$mirror" "$SUITE" > "$build/etc/apt/sources.list"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nAcquire::Retries "3";\n' \
        > "$build/etc/apt/apt.conf.d/90alpaca-dash"

    mount_chroot_fs "$build"
    log "apt-get update in the chroot"
    in_chroot_at "$build" apt-get update >&2 || die "apt-get update failed in the chroot"
    # postgresql-common first, so that no default cluster is created when the
    # server package is installed: the cluster is made by 'up' with our settings.
    log "installing postgresql-common"
    in_chroot_at "$build" apt-get install -y postgresql-common >&2 || die "installing postgresql-common failed"
    sed -i -E 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' \
        "$build/etc/postgresql-common/createcluster.conf"
    grep -q '^create_main_cluster = false' "$build/etc/postgresql-common/createcluster.conf" ||
        printf 'create_main_cluster = false\n' >> "$build/etc/postgresql-common/createcluster.conf"
    log "installing $PACKAGES"
    # shellcheck disable=SC2086
    in_chroot_at "$build" apt-get install -y $PACKAGES >&2 || die "installing $PACKAGES failed in the chroot"
    in_chroot_at "$build" apt-get clean >&2 || true

    [[ -f $build/usr/share/postgresql/$PG_MAJOR/extension/timescaledb.control ]] ||
        die "timescaledb.control missing after install: the package layout is not what this script expects"
    local tsver
    tsver=$(in_chroot_at "$build" dpkg-query -W -f='${Version}' "postgresql-${PG_MAJOR}-timescaledb")
    log "installed postgresql-${PG_MAJOR}-timescaledb $tsver"

    unmount_all_under "$build"
    trap - EXIT
    printf '%s\n' "$RECIPE" "mirror=$mirror" "timescaledb=$tsver" "built=$(date -u +%FT%TZ)" \
        > "$build/$MARKER_NAME"
    remove_tree "$CHROOT"
    mv "$build" "$CHROOT"
    log "chroot ready in $((SECONDS - t0))s"
}

ensure_chroot() {
    # A partial tree is what an interrupted build leaves behind.
    if [[ -e ${CHROOT}.partial ]]; then
        log "removing a half-built chroot from an interrupted run: ${CHROOT}.partial"
        remove_tree "${CHROOT}.partial"
    fi
    if chroot_ready; then
        return 0
    fi
    if [[ -e $CHROOT ]]; then
        if [[ -f $CHROOT/$MARKER_NAME ]]; then
            log "chroot $CHROOT was built by another recipe; rebuilding it (its test data is dropped)"
        else
            log "chroot $CHROOT is incomplete (no ready marker: an interrupted build?); rebuilding it"
        fi
        # Stop a server that may still run from it before deleting it.
        in_chroot pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$CLUSTER" stop -m immediate >/dev/null 2>&1 || true
        remove_tree "$CHROOT"
    fi
    build_chroot
}

# ---------------------------------------------------------------- cluster ---

cluster_conf_dir() { printf '%s/etc/postgresql/%s/%s' "$CHROOT" "$PG_MAJOR" "$CLUSTER"; }

cluster_exists() {
    [[ -f $(cluster_conf_dir)/postgresql.conf && -f $CHROOT/var/lib/postgresql/$PG_MAJOR/$CLUSTER/PG_VERSION ]]
}

# Port the cluster is configured with (empty if there is no cluster).
configured_port() {
    local conf
    conf="$(cluster_conf_dir)/postgresql.conf"
    [[ -f $conf ]] || return 0
    sed -n -E 's/^[[:space:]]*port[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' "$conf" | tail -1
}

# Port to report: the explicit TIMESCALE_PORT, else the cluster's, else the default.
effective_port() {
    local p=''
    [[ -n ${TIMESCALE_PORT:-} ]] || p=$(configured_port)
    printf '%s\n' "${p:-$REQUESTED_PORT}"
}

url_for() { printf 'postgresql://postgres@127.0.0.1:%s/postgres\n' "$1"; }

# True if the postmaster of the chroot's cluster is alive (pid file + process).
cluster_running() {
    local pidfile=$CHROOT/var/lib/postgresql/$PG_MAJOR/$CLUSTER/postmaster.pid pid
    [[ -f $pidfile ]] || return 1
    pid=$(head -1 "$pidfile" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # The pid must be a postgres whose root is our chroot (not a reused pid).
    [[ $(readlink "/proc/$pid/root" 2>/dev/null) == "$(readlink -f "$CHROOT")" ]] || return 1
}

port_in_use() {
    (exec 8<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

psql_in_chroot() {
    local port=$1; shift
    in_chroot psql -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

create_cluster() {
    log "creating cluster ${PG_MAJOR}/${CLUSTER} (data in $CHROOT/var/lib/postgresql/$PG_MAJOR/$CLUSTER)"
    in_chroot pg_createcluster --start-conf=manual --locale=C.UTF-8 --encoding=UTF8 \
        -p "$REQUESTED_PORT" "$PG_MAJOR" "$CLUSTER" >&2 || die "pg_createcluster failed"
}

# (Re)write our settings; cheap and idempotent, so done on every start.
configure_cluster() {
    local port=$1 conf_dir key
    conf_dir=$(cluster_conf_dir)
    # The port goes into postgresql.conf itself (pg_lsclusters/pg_ctlcluster read it
    # there); the rest into conf.d, which postgresql.conf includes near its end.
    in_chroot pg_conftool "$PG_MAJOR" "$CLUSTER" set port "$port" >&2 || die "pg_conftool set port failed"
    # Comment out our keys if postgresql.conf sets them (it would win over conf.d).
    for key in listen_addresses shared_preload_libraries timescaledb.telemetry_level max_connections; do
        if grep -Eq "^[[:space:]]*${key//./[.]}[[:space:]]*=" "$conf_dir/postgresql.conf"; then
            in_chroot pg_conftool "$PG_MAJOR" "$CLUSTER" remove "$key" >&2 || die "pg_conftool remove $key failed"
        fi
    done
    mkdir -p "$conf_dir/conf.d"
    cat > "$conf_dir/conf.d/50-alpaca-dash.conf" <<'EOF'
# Written by scripts/timescaledb.sh (rewritten on every 'up').
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'timescaledb'
# no phoning home (there is no network here anyway)
timescaledb.telemetry_level = off
max_connections = 200
EOF
    cat > "$conf_dir/pg_hba.conf" <<'EOF'
# Written by scripts/timescaledb.sh: a throwaway test server, trust on loopback only.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
host    all       all   ::1/128       trust
EOF
    # uids differ between host and chroot: chown inside the chroot.
    in_chroot chown postgres:postgres "/etc/postgresql/$PG_MAJOR/$CLUSTER/pg_hba.conf" \
        "/etc/postgresql/$PG_MAJOR/$CLUSTER/conf.d/50-alpaca-dash.conf"
}

start_cluster() {
    local port=$1
    log "starting PostgreSQL ${PG_MAJOR} + TimescaleDB on 127.0.0.1:$port"
    mount_chroot_fs "$CHROOT"
    # Inside the chroot: its /var/run is an absolute symlink that would resolve to the host's /run.
    in_chroot install -d -o postgres -g postgres -m 2775 /run/postgresql
    # The server must not inherit our stdout copy (fd 3: CI reads it through a pipe
    # and would wait for the daemon) nor the lock (fd 9).
    if ! in_chroot pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$CLUSTER" start \
            </dev/null >&2 3>&- 9>&-; then
        log "server log (last 40 lines):"
        tail -n 40 "$CHROOT/var/log/postgresql/postgresql-${PG_MAJOR}-${CLUSTER}.log" >&2 2>/dev/null || true
        die "could not start the TimescaleDB cluster"
    fi
    local i
    for i in $(seq 1 60); do
        in_chroot pg_isready -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && return 0
        sleep 0.5
    done
    tail -n 40 "$CHROOT/var/log/postgresql/postgresql-${PG_MAJOR}-${CLUSTER}.log" >&2 2>/dev/null || true
    die "server started but does not accept connections on 127.0.0.1:$port"
}

stop_cluster() {
    in_chroot pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$CLUSTER" stop -m fast >&2
}

check_extension() {
    local port=$1 out ver lic
    out=$(psql_in_chroot "$port" -qAt -c "CREATE EXTENSION IF NOT EXISTS timescaledb" \
          -c "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'" \
          -c "SHOW timescaledb.license" 2>&1) ||
        { printf '%s\n' "$out" >&2; die "CREATE EXTENSION timescaledb failed on 127.0.0.1:$port"; }
    # Keep the last two result lines (notices/banners come before them).
    ver=$(printf '%s\n' "$out" | tail -2 | head -1)
    lic=$(printf '%s\n' "$out" | tail -1)
    log "timescaledb extension $ver, timescaledb.license = $lic"
    [[ $ver == "$EXPECTED_TS_SERIES".* ]] ||
        log "WARNING: expected TimescaleDB ${EXPECTED_TS_SERIES}.x, the chroot has $ver"
}

# --------------------------------------------------------------- commands ---

cmd_up() {
    # Everything but the final URL goes to stderr.
    exec 3>&1 1>&2
    need_root
    local t0=$SECONDS port=$REQUESTED_PORT
    mkdir -p "$(dirname "$CHROOT")"
    exec 9>"${CHROOT}.lock"
    flock -w 900 9 || die "another $prog is busy with $CHROOT (lock ${CHROOT}.lock)"

    ensure_chroot
    mount_chroot_fs "$CHROOT"

    if cluster_exists && cluster_running; then
        if [[ $(configured_port) == "$port" ]]; then
            log "already running on 127.0.0.1:$port"
            check_extension "$port"
            url_for "$port" >&3
            return 0
        fi
        port_in_use "$port" &&
            die "port $port on 127.0.0.1 is already taken by another program; pick another with TIMESCALE_PORT=..."
        log "running on port $(configured_port) but $port was asked for: restarting"
        stop_cluster || die "could not stop the running cluster"
    fi

    if ! cluster_exists; then
        if [[ -e $CHROOT/etc/postgresql/$PG_MAJOR/$CLUSTER || -e $CHROOT/var/lib/postgresql/$PG_MAJOR/$CLUSTER ]]; then
            log "removing a half-created cluster"
            in_chroot pg_dropcluster "$PG_MAJOR" "$CLUSTER" >&2 2>/dev/null || true
            rm -rf --one-file-system -- "$CHROOT/etc/postgresql/$PG_MAJOR/$CLUSTER" \
                "$CHROOT/var/lib/postgresql/$PG_MAJOR/$CLUSTER"
        fi
        create_cluster
    else
        log "reusing cluster ${PG_MAJOR}/${CLUSTER} (data kept)"
    fi

    port_in_use "$port" &&
        die "port $port on 127.0.0.1 is already taken by another program; pick another with TIMESCALE_PORT=..."
    configure_cluster "$port"
    start_cluster "$port"
    check_extension "$port"
    log "up in $((SECONDS - t0))s"
    url_for "$port" >&3
}

cmd_down() {
    need_root
    mkdir -p "$(dirname "$CHROOT")"
    exec 9>"${CHROOT}.lock"
    flock -w 900 9 || die "another $prog is busy with $CHROOT (lock ${CHROOT}.lock)"
    if [[ ! -d $CHROOT ]]; then
        log "no chroot at $CHROOT: nothing to stop"
    elif cluster_exists && cluster_running; then
        log "stopping the TimescaleDB cluster"
        stop_cluster || die "could not stop the cluster"
    else
        log "not running"
    fi
    [[ -d $CHROOT ]] && unmount_all_under "$CHROOT"
    [[ -d ${CHROOT}.partial ]] && unmount_all_under "${CHROOT}.partial"
    log "down (chroot and data kept in $CHROOT)"
}

cmd_status() {
    local port
    port=$(effective_port)
    if [[ ! -d $CHROOT ]]; then
        echo "not built: no chroot at $CHROOT"
        return 3
    fi
    if ! chroot_ready; then
        echo "incomplete: $CHROOT has no ready marker ('up' rebuilds it)"
        return 3
    fi
    local ts
    ts=$(sed -n 's/^timescaledb=//p' "$CHROOT/$MARKER_NAME")
    if ! cluster_exists; then
        echo "stopped: chroot ready (timescaledb package $ts), no cluster yet"
        return 3
    fi
    if cluster_running; then
        echo "running: $(url_for "$port") (timescaledb package $ts, chroot $CHROOT)"
        return 0
    fi
    echo "stopped: cluster on port $port (timescaledb package $ts, chroot $CHROOT)"
    return 3
}

cmd_url() { url_for "$(effective_port)"; }

main() {
    local cmd=${1:-}
    case $cmd in
        -h|--help|help) usage; return 0 ;;
        up|down|status|url) ;;
        '') usage >&2; exit 2 ;;
        *) printf '%s: unknown command: %s\n\n' "$prog" "$cmd" >&2; usage >&2; exit 2 ;;
    esac
    (( $# == 1 )) || { printf '%s: %s takes no arguments\n' "$prog" "$cmd" >&2; exit 2; }
    # Turn signals into a normal exit so that EXIT traps (unmounting) run.
    trap 'die "interrupted"' INT TERM HUP
    validate_settings
    "cmd_$cmd"
}

main "$@"
