// What a gRPC health check is asked (its answer, GrpcHealth, is in the model: src/model/grpc.ts).

export interface GrpcHealthTarget {
  host: string;
  port: number;
}

export interface GrpcHealthOptions {
  /** The service name to ask about; '' (the default) is the server's overall health. */
  service?: string;
  /**
   * The whole check's budget: the handshake, then the call with the time left as its deadline
   * (time our own process spends on other work meanwhile is not charged). Default 2000.
   */
  timeoutMs?: number;
  /**
   * How long the peer has to accept the connection and answer the HTTP/2 preface with SETTINGS;
   * a silent or non-HTTP/2 peer is judged after this. At most timeoutMs. Default 300
   * (DEFAULT_GRPC_HANDSHAKE_MS in health-check.ts; docs/grpc-health.md says why).
   */
  handshakeMs?: number;
}
