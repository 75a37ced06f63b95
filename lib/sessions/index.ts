// Release health: sessions stored hourly by the worker (store-sessions), read back per interval
// and group in Sentry's sessions shape (query), and per release for the releases pages (health).
export * from "./health";
export * from "./params";
export * from "./query";
