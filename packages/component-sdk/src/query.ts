// Placeholder module owned by the state-memory work: the Dapr query language (parse, validate, evaluate).
export {};
