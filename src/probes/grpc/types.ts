// What a gRPC health check is asked and what it answers: types only, read by the renderers, the
// CLI and the actions.

export type GrpcHealthStatus =
  | 'SERVING'
  | 'NOT_SERVING'
  | 'SERVICE_UNKNOWN'
  | 'UNKNOWN'
  | 'UNIMPLEMENTED'
  | 'NO_ANSWER'
  | 'NOT_GRPC'
  | 'REFUSED'
  | 'ERROR';

export interface GrpcHealth {
  port: number;
  /** The target as dialled: `127.0.0.1:50051`, `[::1]:50051`. */
  address: string;
  status: GrpcHealthStatus;
  /** Why, in words (the gRPC status details, or what was seen on the wire). */
  detail: string;
  /**
   * From the start of the check to the server's gRPC answer (so it includes our handshake
   * connection); null when no gRPC answer came back.
   */
  latencyMs: number | null;
}

export interface GrpcHealthTarget {
  host: string;
  port: number;
}

export interface GrpcHealthOptions {
  /** The service name to ask about; '' (the default) is the server's overall health. */
  service?: string;
  /**
   * The whole check's budget: the handshake, then the RPC with the time left as its deadline. The
   * check never outlives it by more than a small margin (BACKSTOP_MARGIN_MS in health-check.ts). Default 2000.
   */
  timeoutMs?: number;
}
