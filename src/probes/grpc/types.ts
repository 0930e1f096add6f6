// What a gRPC health check is asked (its answer, GrpcHealth, is in the model: src/model/grpc.ts).

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
