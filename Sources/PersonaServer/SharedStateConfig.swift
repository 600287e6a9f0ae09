// The `shared_state` section of the server config: the HSM token on which the server instances of
// one cluster share short-lived state (today: idempotency records of keyed signing calls). A token
// of its own, so its churn stays out of the key token, its DR copy and its workers' re-indexing.
// Optional: without it idempotency results are remembered per instance only.

/// Where shared state lives.
public typealias SharedStateConfig = TokenReference
