// Node's heavier built-in modules, loaded on first use instead of at start-up. A one-shot command
// pays for every module it loads before its first /proc read (issue 12: the CLI's start within
// 15 ms of `node -e 0`); `child_process` alone brings `net` and `dgram`, `node:https` brings
// `tls` and `crypto`, and most commands use none of them. Types stay static (`import type`, erased);
// the values come from here, through `require`, which returns the same module objects an
// `import` would.
import { createRequire } from 'node:module';

const req = createRequire(import.meta.url);

export const childProcess = (): typeof import('node:child_process') => req('node:child_process') as typeof import('node:child_process');
export const crypto = (): typeof import('node:crypto') => req('node:crypto') as typeof import('node:crypto');
export const net = (): typeof import('node:net') => req('node:net') as typeof import('node:net');
export const http = (): typeof import('node:http') => req('node:http') as typeof import('node:http');
export const https = (): typeof import('node:https') => req('node:https') as typeof import('node:https');
export const http2 = (): typeof import('node:http2') => req('node:http2') as typeof import('node:http2');
export const zlib = (): typeof import('node:zlib') => req('node:zlib') as typeof import('node:zlib');
