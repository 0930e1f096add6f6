// What a gRPC health check answers (src/probes/grpc/health-check.ts asks): read by the renderers,
// the CLI and the actions.

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
