#!/usr/bin/env bash
# test/citus/cluster.sh: a three-node Citus cluster on loopback for the Citus suite.
#
#   cluster.sh start DIR     initdb a coordinator and two workers under DIR, start them,
#                            make database chat_dist with citus on each, register the workers
#   cluster.sh add DIR       a further worker (worker3, port CITUS_PORT + 3): initdb, start,
#                            database chat_dist with citus, registered with citus_add_node
#                            on the coordinator (Citus then copies chat's objects to it)
#   cluster.sh worker DIR    the same worker, made and started but not registered
#   cluster.sh stop DIR      stop the nodes (DIR is kept; remove it yourself)
#
# Ports: CITUS_PORT (default 5484) for the coordinator, +1 and +2 for the workers (+3 added),
# listening on 127.0.0.1 only (Citus connects between nodes over TCP), unix sockets in
# DIR only, so nothing collides with pg_virtualenv or a system cluster.
# PG_CONFIG selects the PostgreSQL 15 whose binaries run the nodes (Citus and chat must
# be installed there). As root, the nodes run as the postgres user.
set -euo pipefail

cmd=${1:?usage: cluster.sh start|add|worker|stop DIR}
dir=${2:?usage: cluster.sh start|add|worker|stop DIR}
: "${PG_CONFIG:=pg_config}"
: "${CITUS_PORT:=5484}"
bin=$("$PG_CONFIG" --bindir)
ports=("$CITUS_PORT" "$((CITUS_PORT + 1))" "$((CITUS_PORT + 2))" "$((CITUS_PORT + 3))")
names=(coordinator worker1 worker2 worker3)

# runs a command as the user owning the clusters (root may not run initdb)
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_node() {   # psql_node PORT DB SQL
    as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "$2" -c "$3"
}

node() {   # node I: initdb node I, configure and start it, database chat_dist with citus
    local i=$1 data=$dir/${names[$1]}
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$data/postgresql.conf" <<EOF
port = ${ports[$i]}
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus'
max_prepared_transactions = 200
max_connections = 100
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
citus.log_remote_commands = off
EOF
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/log" -w -t 60 start >/dev/null
    psql_node "${ports[$i]}" postgres "CREATE DATABASE chat_dist"
    psql_node "${ports[$i]}" chat_dist "CREATE EXTENSION citus"
}

start() {
    mkdir -p "$dir"
    if [[ "$(id -u)" == 0 ]]; then chown postgres "$dir"; fi
    local i
    for i in 0 1 2; do node "$i"; done
    psql_node "${ports[0]}" chat_dist "SELECT citus_set_coordinator_host('127.0.0.1', ${ports[0]})" >/dev/null
    psql_node "${ports[0]}" chat_dist "SELECT citus_add_node('127.0.0.1', ${ports[1]})" >/dev/null
    psql_node "${ports[0]}" chat_dist "SELECT citus_add_node('127.0.0.1', ${ports[2]})" >/dev/null
}

add() {
    node 3
    psql_node "${ports[0]}" chat_dist "SELECT citus_add_node('127.0.0.1', ${ports[3]})" >/dev/null
}

stop() {
    local i
    for i in 0 1 2 3; do
        [[ -f "$dir/${names[$i]}/postmaster.pid" ]] || continue
        as_pg "$bin/pg_ctl" -D "$dir/${names[$i]}" -m fast -w stop >/dev/null || true
    done
}

case $cmd in
start) start ;;
add) add ;;
worker) node 3 ;;
stop) stop ;;
*) echo "usage: cluster.sh start|add|worker|stop DIR" >&2; exit 2 ;;
esac
