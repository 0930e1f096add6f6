# pid 1 of the tests' private namespace, after ns-init.py's setup (it execs this as "ns-init").
# bash reaps every child that exits, also the orphans re-parented to it (its SIGCHLD handling calls
# waitpid(-1, …) and forgets pids it does not know), so no orphan stays a zombie. The command runs
# in a session of its own, as a terminal's would; SIGINT, SIGTERM and SIGHUP are passed on to it.
# Exit status: the command's.
# A shell without job control starts an async command with SIGINT and SIGQUIT ignored (POSIX,
# "Asynchronous Lists"); env --default-signal gives them back, so Ctrl-C-like tests reach their jobs.
setsid /usr/bin/env --default-signal=INT,QUIT "$@" &
child=$!
trap 'kill -INT $child 2>/dev/null' INT
trap 'kill -TERM $child 2>/dev/null' TERM
trap 'kill -HUP $child 2>/dev/null' HUP
while :; do
  wait "$child"
  code=$?
  # wait returns early (> 128) when a trapped signal arrives; the child may still run.
  kill -0 "$child" 2>/dev/null || exit "$code"
done
