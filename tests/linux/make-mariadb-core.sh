#!/usr/bin/env bash
# Makes a REAL core of a hung MariaDB server on Linux (Debian/Ubuntu, amd64), for CoreSleuth's
# Linux reader: its tests and CI need a core whose every byte the kernel and gdb wrote, not a
# synthetic one, and the facts to check the reader against (gdb's own view of the same core).
#
# The incident reproduced is the "ghost FIFO": a session runs LOAD DATA INFILE on a named pipe,
# the server thread blocks in open(2) waiting for a writer, and the pipe is deleted, so nothing can
# ever open it for writing again. Behind that session, one waits for its InnoDB row lock and one
# for its table's metadata lock: a small wait-for chain with a single root.
#
# Usage: tests/linux/make-mariadb-core.sh [OUTDIR]     (default OUTDIR: a new mktemp -d)
# Leaves in OUTDIR: mariadbd.core, mariadbd.innodb.txt, mariadbd.processlist.txt,
# mariadbd.wchan.txt, mariadbd.gdb-bt.txt, mariadbd.gdb-regs.txt, mariadbd.facts; prints OUTDIR
# as its last line of stdout.
# Exit codes: 0 done; 77 the packages cannot be installed (tests treat 77 as "skip"); other: failure.
#
# Writes nothing outside OUTDIR but one private temporary folder under /tmp, which it deletes, and
# (only when they are missing) the distribution's packages. Never leaves a server running.
set -euo pipefail

# Bounds: the core of this small server is about 1.3 GB (mostly glibc's 64 MiB malloc-arena
# reservations, which gcore writes out as zeros); these only stop a runaway (e.g. a server that
# reserved its default 8 TiB buffer-pool address range) from filling the disk.
readonly CORE_LIMIT_KIB=$((4 * 1024 * 1024))     # bash's ulimit -f counts 1024-byte blocks: 4 GiB
readonly MIN_FREE_KIB=$((6 * 1024 * 1024))       # refuse to start below 6 GiB free in OUTDIR
readonly WAIT_SECONDS=30                         # any single wait (socket, processlist state)

log() { printf 'make-mariadb-core: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
skip() { log "skip: $*"; exit 77; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

# --- 1. packages ------------------------------------------------------------------------------
missing=()
command -v gdb >/dev/null 2>&1 || missing+=(gdb)
{ command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; } || missing+=(mariadb-server)
{ command -v mariadb >/dev/null 2>&1 && command -v mariadb-admin >/dev/null 2>&1; } \
  || missing+=(mariadb-client)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    skip "missing ${missing[*]} and not root and no password-less sudo"
  fi
  # The package's postinst starts the system's MariaDB service unless policy-rc.d forbids it;
  # a stray system server would outlive this script, so forbid it for the install if nothing does.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    own_policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$own_policy" >/dev/null
    as_root chmod 755 "$own_policy"
  fi
  install_ok=1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null 2>&1 || install_ok=0
  if [ -n "$own_policy" ]; then as_root rm -f "$own_policy"; fi
  [ "$install_ok" -eq 1 ] || skip "apt-get install ${missing[*]} failed"
fi
MARIADBD=$(command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd)
MARIADBD=$(readlink -f "$MARIADBD")
for tool in mariadb mariadb-admin mariadb-install-db gdb gcore readelf; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool not found after install"
done

# --- 2. output folder, private work folder, cleanup ------------------------------------------
OUT_IS_OURS=0                      # a folder this script made is removed again on failure
if [ $# -ge 1 ]; then OUT=$1; mkdir -p "$OUT"; else OUT=$(mktemp -d /tmp/mariadb-core.XXXXXX); OUT_IS_OURS=1; fi
OUT=$(cd "$OUT" && pwd -P)
readonly PRODUCTS=(mariadbd.core mariadbd.innodb.txt mariadbd.processlist.txt mariadbd.wchan.txt
                   mariadbd.gdb-bt.txt mariadbd.gdb-regs.txt mariadbd.facts)
# Idempotent: a rerun replaces the previous products (and a previous run's gcore leftovers).
for f in "${PRODUCTS[@]}"; do rm -f "$OUT/$f"; done
rm -f "$OUT"/mariadbd.[0-9]*

free_kib=$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt "$MIN_FREE_KIB" ]; then
  die "only $((free_kib / 1024)) MiB free in $OUT; need $((MIN_FREE_KIB / 1024)) MiB for the core"
fi

WORK=$(mktemp -d /tmp/mariadb-core-work.XXXXXX)
DATADIR=$WORK/data
SOCKET=$WORK/mysqld.sock            # under 108 bytes, the unix socket path limit
PIDFILE=$WORK/mysqld.pid
FIFODIR=$WORK/fifo                  # the only folder LOAD DATA may read (secure_file_priv)
FIFO=$FIFODIR/ghost.fifo
SERVER_PID=""
CLIENT_PIDS=()
SUCCESS=0

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    # A clean shutdown (about a second here: the process's exit ends the thread still blocked in
    # open(2)) keeps the error log tidy; TERM and then KILL only if it does not come.
    timeout 10 mariadb-admin --no-defaults -uroot --socket="$SOCKET" shutdown >/dev/null 2>&1 || true
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# The sessions never end by themselves. Bash reports a killed job on stderr when it reaps it:
# that report is no error here, so the group's stderr is discarded.
stop_clients() {
  local p
  { for p in "${CLIENT_PIDS[@]}"; do kill -KILL "$p" || true; wait "$p" || true; done; } 2>/dev/null
  CLIENT_PIDS=()
}

cleanup() {
  local rc=$?
  stop_clients
  stop_server
  if [ "$rc" -ne 0 ] && [ -f "$WORK/error.log" ]; then
    log "server error log (last lines):"; tail -n 15 "$WORK/error.log" >&2 || true
  fi
  rm -rf "$WORK"
  if [ "$SUCCESS" -ne 1 ]; then
    for f in "${PRODUCTS[@]}"; do rm -f "$OUT/$f"; done
    rm -f "$OUT"/mariadbd.[0-9]*
    if [ "$OUT_IS_OURS" -eq 1 ]; then rmdir "$OUT" 2>/dev/null || true; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# mariadbd refuses to run as root unless told so explicitly; otherwise it runs as the caller.
USER_OPT=()
if [ "$(id -u)" -eq 0 ]; then USER_OPT=(--user=root); fi

# Keep the address space (and so the core) small: --innodb-buffer-pool-size-max (10.11.19 has it;
# older servers that lack it do not reserve ahead) bounds the range InnoDB reserves up front,
# which otherwise is 8 TiB of PROT_NONE that gcore would write out as zeros.
SERVER_OPTS=(--no-defaults "${USER_OPT[@]}" --datadir="$DATADIR" --socket="$SOCKET"
             --pid-file="$PIDFILE" --skip-networking --log-error="$WORK/error.log"
             --secure-file-priv="$FIFODIR" --innodb-buffer-pool-size=8M
             --innodb-log-file-size=8M --skip-innodb-buffer-pool-dump-at-shutdown
             --skip-innodb-buffer-pool-load-at-startup --max-connections=20)
if "$MARIADBD" --no-defaults --help --verbose 2>/dev/null | grep -q -- '--innodb-buffer-pool-size-max'; then
  SERVER_OPTS+=(--innodb-buffer-pool-size-max=8M)
fi

# --- 3. a private server ----------------------------------------------------------------------
mkdir -p "$DATADIR" "$FIFODIR"
mariadb-install-db --no-defaults "${USER_OPT[@]}" --datadir="$DATADIR" \
    --auth-root-authentication-method=normal --skip-test-db \
    --innodb-log-file-size=8M >"$WORK/install-db.log" 2>&1 \
  || { tail -n 20 "$WORK/install-db.log" >&2; die "mariadb-install-db failed"; }

"$MARIADBD" "${SERVER_OPTS[@]}" </dev/null >/dev/null 2>&1 &
SERVER_PID=$!
readonly CORE_PID=$SERVER_PID      # SERVER_PID is emptied once the server is stopped

sql() { mariadb --no-defaults -uroot --socket="$SOCKET" -N -B "$@"; }
# A session left running in the background. A simple command run with & is exec'd by the forked
# shell, so $! is the client itself and killing it needs no process-group tricks.
sql_bg() {
  mariadb --no-defaults -uroot --socket="$SOCKET" -N -B -e "$1" </dev/null >/dev/null 2>&1 &
  CLIENT_PIDS+=($!)
}

deadline=$((SECONDS + WAIT_SECONDS))
until [ -S "$SOCKET" ] && sql -e 'SELECT 1' >/dev/null 2>&1; do
  kill -0 "$SERVER_PID" 2>/dev/null || die "mariadbd exited during start-up"
  [ "$SECONDS" -lt "$deadline" ] || die "mariadbd's socket did not answer within ${WAIT_SECONDS}s"
  sleep 0.2
done

# --- 4. the incident --------------------------------------------------------------------------
sql -e "CREATE DATABASE ghost; CREATE TABLE ghost.t (a INT PRIMARY KEY, b INT) ENGINE=InnoDB;
        INSERT INTO ghost.t VALUES (1, 0), (2, 0);"
mkfifo -m 0644 "$FIFO"   # world-readable: LOAD DATA refuses files others cannot read

# Waits until a session's processlist row matches: $1 = a SQL condition on information_schema.
wait_for_session() {
  local cond=$1 what=$2 n
  deadline=$((SECONDS + WAIT_SECONDS))
  while :; do
    n=$(sql -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE $cond")
    [ "$n" -ge 1 ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || die "no session $what within ${WAIT_SECONDS}s"
    sleep 0.2
  done
}

# Session 1 (the root): its open transaction holds the row a=1, then it blocks opening the FIFO.
sql_bg "SET autocommit=0; UPDATE ghost.t SET b = b + 1 WHERE a = 1;
        LOAD DATA INFILE '$FIFO' INTO TABLE ghost.t"
wait_for_session "INFO LIKE 'LOAD DATA%'" "running LOAD DATA"
# Give the server thread time to get from the statement's start into open(2) itself.
blocked_tid=""
deadline=$((SECONDS + WAIT_SECONDS))
while [ -z "$blocked_tid" ]; do
  for task in /proc/"$CORE_PID"/task/*; do
    # /proc/PID/task/TID/syscall: the number of the syscall the thread sleeps in (257 = openat).
    if read -r nr _ < "$task/syscall" 2>/dev/null && [ "$nr" = 257 ]; then
      blocked_tid=${task##*/}
    fi
  done
  [ -n "$blocked_tid" ] && break
  [ "$SECONDS" -lt "$deadline" ] || die "no server thread blocked in openat within ${WAIT_SECONDS}s"
  sleep 0.2
done
rm -f "$FIFO"             # the ghost: nobody can open it for writing any more

# Session 2: waits for session 1's row lock (an InnoDB lock wait that does not time out soon).
sql_bg "SET innodb_lock_wait_timeout = 100000; UPDATE ghost.t SET b = 10 WHERE a = 1"
deadline=$((SECONDS + WAIT_SECONDS))
until [ "$(sql -e "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'")" -ge 1 ]; do
  [ "$SECONDS" -lt "$deadline" ] || die "no InnoDB lock wait within ${WAIT_SECONDS}s"
  sleep 0.2
done
# Session 3: waits for the table's metadata lock that session 1 holds.
sql_bg "LOCK TABLES ghost.t WRITE"
wait_for_session "INFO LIKE 'LOCK TABLES%' AND STATE LIKE 'Waiting for table metadata lock'" \
  "waiting for the metadata lock"

# --- 5. what a DBA would paste, and the kernel's view ------------------------------------------
sleep 2   # a hang that has lasted a little: non-zero Time in the processlist and InnoDB's "ACTIVE n sec"
# -r: raw, so the Status column's newlines stay real newlines; the first two columns are Type, Name.
sql -r -e 'SHOW ENGINE INNODB STATUS' | cut -f3- > "$OUT/mariadbd.innodb.txt"
mariadb --no-defaults -uroot --socket="$SOCKET" -B -e 'SHOW FULL PROCESSLIST' > "$OUT/mariadbd.processlist.txt"
grep -H . /proc/"$CORE_PID"/task/*/wchan > "$OUT/mariadbd.wchan.txt" || true
blocked_wchan=$(cat /proc/"$CORE_PID"/task/"$blocked_tid"/wchan 2>/dev/null || true)
blocked_session=$(sql -e "SELECT ID FROM information_schema.PROCESSLIST WHERE TID = $blocked_tid")
[ -n "$blocked_session" ] || die "thread $blocked_tid is no session's (information_schema.PROCESSLIST.TID)"
libc_path=$(awk '$6 ~ /\/libc\.so\.6$/ { print $6; exit }' /proc/"$CORE_PID"/maps)
# Who waits for whose row lock, as the live server's lock tables say (the referee of the wait-for graph).
read -r row_waiter_session row_blocker_session < <(sql -e "SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id
  FROM information_schema.INNODB_LOCK_WAITS w
  JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
  JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id LIMIT 1") || true

# --- 6. the core ------------------------------------------------------------------------------
# gcore appends .PID to the -o prefix. The file-size limit applies to gdb only (subshell).
( ulimit -f "$CORE_LIMIT_KIB"
  gcore -o "$OUT/mariadbd" "$CORE_PID" >"$WORK/gcore.log" 2>&1 ) \
  || { tail -n 5 "$WORK/gcore.log" >&2; die "gcore failed (limit $CORE_LIMIT_KIB KiB)"; }
mv -f "$OUT/mariadbd.$CORE_PID" "$OUT/mariadbd.core"
core_size=$(stat -c %s "$OUT/mariadbd.core")

# The server is not needed any more: end it before the slow gdb passes.
stop_clients
stop_server

# --- 7. gdb's reference view ------------------------------------------------------------------
GDB=(gdb -batch -nx -iex 'set debuginfod enabled off' -ex 'set pagination off')
"${GDB[@]}" -ex 'info threads' -ex 'thread apply all bt' "$MARIADBD" "$OUT/mariadbd.core" \
  > "$OUT/mariadbd.gdb-bt.txt" 2>&1
gdb_thread=$(awk -v lwp="(LWP $blocked_tid)" 'index($0, lwp) {
    sub(/^\*/, ""); print $1; exit }' "$OUT/mariadbd.gdb-bt.txt")
[ -n "$gdb_thread" ] || die "gdb shows no thread with LWP $blocked_tid"
# The blocked thread's registers, the path it opens, and where struct pthread keeps the kernel's
# thread id: glibc exports that as _thread_db_pthread_tid in libc.so.6's .dynsym; the struct's
# type (the check through the struct) needs libc6-dbg and says "No symbol" without it.
# shellcheck disable=SC2016  # $rsi, $fs_base are gdb's registers, not the shell's
"${GDB[@]}" -ex "thread $gdb_thread" -ex 'info registers rip rsp rax orig_rax rdi rsi rdx r10 fs_base' \
  -ex 'x/s $rsi' -ex 'p _thread_db_pthread_tid' -ex 'p/d &((struct pthread *) 0)->tid' \
  -ex 'p/x *(unsigned long *) ($fs_base + 16)' \
  -ex 'printf "tid_at_offset=%d\n", *(int *) ($fs_base + _thread_db_pthread_tid[2])' \
  -ex 'bt' "$MARIADBD" "$OUT/mariadbd.core" > "$OUT/mariadbd.gdb-regs.txt" 2>&1
fs_base=$(awk '$1 == "fs_base" { print $2; exit }' "$OUT/mariadbd.gdb-regs.txt")
orig_rax=$(awk '$1 == "orig_rax" { print $3; exit }' "$OUT/mariadbd.gdb-regs.txt")
# glibc's own descriptor {bits, count, offset} of struct pthread's tid, as libthread_db reads it.
tid_offset=$(sed -n 's/^\$[0-9]* = {32, 1, \([0-9]*\)}$/\1/p' "$OUT/mariadbd.gdb-regs.txt" | head -n 1)
tid_at_offset=$(sed -n 's/^tid_at_offset=//p' "$OUT/mariadbd.gdb-regs.txt")
# InnoDB names a session's thread by pthread_self(), printed in decimal: on x86-64 Linux that is
# the thread's fs_base, the address of its struct pthread.
innodb_handle=$(sed -n "s/^MariaDB thread id $blocked_session, OS thread handle \([0-9]*\),.*/\1/p" \
  "$OUT/mariadbd.innodb.txt" | head -n 1)
[ "$orig_rax" = 257 ] || die "gdb shows the blocked thread in syscall '$orig_rax', not openat (257)"
[ "$tid_at_offset" = "$blocked_tid" ] \
  || log "warning: struct pthread's tid reads '$tid_at_offset', not $blocked_tid"
if [ -z "$fs_base" ] || [ "$innodb_handle" != "$((fs_base))" ]; then
  log "warning: InnoDB's OS thread handle '$innodb_handle' is not the thread's fs_base '$fs_base'"
fi

build_id() { readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }'; }
{
  echo "pid=$CORE_PID"
  echo "blocked_tid=$blocked_tid"
  echo "blocked_session=$blocked_session"
  echo "blocked_gdb_thread=$gdb_thread"
  echo "blocked_fs_base=$fs_base"
  echo "blocked_wchan=$blocked_wchan"
  echo "blocked_orig_rax=$orig_rax"
  echo "blocked_innodb_os_thread_handle=$innodb_handle"
  echo "row_waiter_session=${row_waiter_session:-}"
  echo "row_blocker_session=${row_blocker_session:-}"
  echo "pthread_tid_offset=$tid_offset"
  echo "pthread_tid_at_offset=$tid_at_offset"
  echo "threads=$(grep -c '^Thread [0-9]* (' "$OUT/mariadbd.gdb-bt.txt")"
  echo "fifo=$FIFO"
  echo "mariadbd=$MARIADBD"
  echo "mariadbd_version=$("$MARIADBD" --version | sed 's/^.*Ver //')"
  echo "mariadbd_build_id=$(build_id "$MARIADBD")"
  echo "libc=$libc_path"
  echo "libc_build_id=$(build_id "$libc_path")"
  echo "kernel=$(uname -r)"
  echo "core_size=$core_size"
} > "$OUT/mariadbd.facts"

SUCCESS=1
log "core of pid $CORE_PID: $core_size bytes; blocked thread LWP $blocked_tid (session $blocked_session)"
echo "$OUT"
