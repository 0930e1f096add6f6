// The grpc.health.v1 messages, encoded by hand: the message definitions in grpc/grpc-proto
// grpc/health/v1/health.proto are
//
//   message HealthCheckRequest { string service = 1; }
//   message HealthCheckResponse {
//     enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
//     ServingStatus status = 1;
//   }
//
// One string field and one enum field, so neither @grpc/proto-loader nor protobufjs is needed at
// run time. The wire format: https://protobuf.dev/programming-guides/encoding/. Pure.
import type { GrpcHealthStatus } from '../../model/grpc.js';

export const GRPC_HEALTH_CHECK_METHOD = '/grpc.health.v1.Health/Check';

/** ServingStatus values by number. */
export const SERVING_STATUS: Record<number, GrpcHealthStatus> = { 0: 'UNKNOWN', 1: 'SERVING', 2: 'NOT_SERVING', 3: 'SERVICE_UNKNOWN' };

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/**
 * HealthCheckRequest: field 1 (`service`), wire type 2 (length-delimited), so tag byte 0x0a.
 * proto3 omits a field at its default value, so the overall-health request is zero bytes.
 */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, ...encodeVarint(bytes.length)]), bytes]);
}

export type DecodedHealthResponse = { ok: true; status: number } | { ok: false; error: string };

/**
 * HealthCheckResponse: field 1 (`status`), wire type 0 (varint). An absent field is the default,
 * 0 (UNKNOWN). Other fields are skipped, as a proto3 parser must. Never throws: a deserializer that
 * throws would lose what was wrong, and we want to say it.
 */
export function decodeHealthCheckResponse(buf: Buffer): DecodedHealthResponse {
  let pos = 0;
  let status = 0;
  const varint = (): number | null => {
    let result = 0;
    let shift = 0;
    while (pos < buf.length && shift < 64) {
      const b = buf[pos++]!;
      // Enum values fit 32 bits; higher groups are read and dropped (negative enums are 10 bytes).
      if (shift < 32) result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    return null;
  };
  while (pos < buf.length) {
    const key = varint();
    if (key === null) return { ok: false, error: 'truncated field key' };
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (v === null) return { ok: false, error: `truncated varint in field ${field}` };
      if (field === 1) status = v;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
    } else if (wire === 2) {
      const len = varint();
      if (len === null) return { ok: false, error: `truncated length in field ${field}` };
      pos += len;
    } else {
      return { ok: false, error: `unsupported wire type ${wire} in field ${field}` };
    }
    if (pos > buf.length) return { ok: false, error: `field ${field} runs past the end of the message` };
  }
  return { ok: true, status };
}
