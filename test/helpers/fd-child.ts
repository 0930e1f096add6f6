// A Python child whose fd table the proc-scan tests know: a listening socket on fd 40 and both
// ends of one pipe on fds 41 and 42. It prints its port once they are in place, then sleeps (the
// tests end it by pid).
export const FD_CHILD_PY = `
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
r, w = os.pipe()
os.dup2(s.fileno(), 40); os.dup2(r, 41); os.dup2(w, 42)
print(s.getsockname()[1], flush=True)
time.sleep(60)
`;
