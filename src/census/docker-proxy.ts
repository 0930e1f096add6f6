// docker-proxy: the userland proxy dockerd starts for each published port (`docker run -p
// HOST:CONTAINER`), listening on the host port and forwarding to the container. It is Docker's,
// not a run's: a port it holds is freed by stopping the container (`docker stop`), never by
// signalling the proxy (dockerd would not know, and the container's port mapping would break).
import type { ProcessInfo } from '../model/snapshot.js';

export interface DockerProxyArgs {
  proto: string | null;
  hostIp: string | null;
  hostPort: number | null;
  containerIp: string | null;
  containerPort: number | null;
}

const base = (s: string | null | undefined) => (s ? s.slice(s.lastIndexOf('/') + 1) : '');

/** By its name: comm, the executable's basename or argv[0]'s (a process name, never a pattern in its arguments). */
export function isDockerProxy(p: Pick<ProcessInfo, 'comm' | 'exe' | 'argv'>): boolean {
  return p.comm === 'docker-proxy' || base(p.exe) === 'docker-proxy' || base(p.argv[0]) === 'docker-proxy';
}

/** `-proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80` (one or two dashes, `-k v` or `-k=v`). */
export function dockerProxyArgs(argv: string[]): DockerProxyArgs {
  const v = new Map<string, string>();
  for (let i = 1; i < argv.length; i++) {
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) continue;
    if (m[2] !== undefined) v.set(m[1]!, m[2]);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) v.set(m[1]!, argv[++i]!);
  }
  const num = (k: string) => (v.has(k) && /^\d+$/.test(v.get(k)!) ? Number(v.get(k)) : null);
  return { proto: v.get('proto') ?? null, hostIp: v.get('host-ip') ?? null, hostPort: num('host-port'), containerIp: v.get('container-ip') ?? null, containerPort: num('container-port') };
}
