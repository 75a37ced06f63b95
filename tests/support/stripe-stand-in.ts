import { randomBytes } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";

// A local stand-in for the few Stripe API calls the app makes (stripe-mock is not on npm and
// Stripe's servers are out of reach here). The app's real `stripe` client talks to it through
// STRIPE_API_BASE; it records every request (method, path, form-decoded body, Idempotency-Key)
// and answers with Stripe-shaped JSON. Subscriptions are whatever the test says Stripe has.

export type RecordedRequest = {
  method: string;
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: form-decoded bodies are asserted on by shape
  body: Record<string, any>;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  stripeVersion: string | undefined;
};

type Json = Record<string, unknown>;

export type StripeStandIn = {
  base: string;
  requests: RecordedRequest[];
  /** Requests matching a method and path (a string is an exact path). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  /** What GET /v1/subscriptions/:id answers from now on. */
  setSubscription(subscription: Json): void;
  /** Every request whose path matches answers `status` until cleared (null). */
  failRequests(pattern: RegExp | null, status?: number): void;
  close(): Promise<void>;
};

let counter = 0;
const nextId = (prefix: string) => `${prefix}_test${(++counter).toString().padStart(4, "0")}${randomBytes(4).toString("hex")}`;
const now = () => Math.floor(Date.now() / 1000);

export async function startStripeStandIn(): Promise<StripeStandIn> {
  const requests: RecordedRequest[] = [];
  const customers = new Map<string, Json>();
  const subscriptions = new Map<string, Json>();
  const replays = new Map<string, { status: number; body: Json }>();
  const meterIdentifiers = new Set<string>();
  let failure: { pattern: RegExp; status: number } | null = null;

  const route = (method: string, path: string, body: Json): { status: number; body: Json } => {
    const customerId = method === "GET" ? /^\/v1\/customers\/([\w-]+)$/.exec(path)?.[1] : undefined;
    const subscriptionId = method === "GET" ? /^\/v1\/subscriptions\/([\w-]+)$/.exec(path)?.[1] : undefined;
    if (method === "POST" && path === "/v1/customers") {
      const customer = { id: nextId("cus"), object: "customer", created: now(), livemode: false, email: null, name: null, metadata: {}, ...body };
      customers.set(customer.id, customer);
      return { status: 200, body: customer };
    }
    if (customerId) {
      const customer = customers.get(customerId);
      return customer ? { status: 200, body: customer } : missing("customer", customerId);
    }
    if (method === "POST" && path === "/v1/checkout/sessions") {
      const id = nextId("cs");
      return {
        status: 200,
        body: {
          id,
          object: "checkout.session",
          url: `https://checkout.stripe.test/c/pay/${id}`,
          status: "open",
          subscription: null,
          created: now(),
          livemode: false,
          metadata: {},
          ...body,
        },
      };
    }
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      const id = nextId("bps");
      return { status: 200, body: { id, object: "billing_portal.session", url: `https://billing.stripe.test/p/session/${id}`, created: now(), livemode: false, ...body } };
    }
    if (subscriptionId) {
      const subscription = subscriptions.get(subscriptionId);
      return subscription ? { status: 200, body: subscription } : missing("subscription", subscriptionId);
    }
    if (method === "POST" && path === "/v1/billing/meter_events") {
      const identifier = String(body.identifier ?? nextId("mev"));
      if (meterIdentifiers.has(identifier)) return error(400, "invalid_request_error", `An event with identifier ${identifier} already exists.`);
      meterIdentifiers.add(identifier);
      return {
        status: 200,
        body: { object: "billing.meter_event", created: now(), livemode: false, event_name: body.event_name, identifier, payload: body.payload, timestamp: Number(body.timestamp ?? now()) },
      };
    }
    return error(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
  };

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://stand-in");
    const raw = req.method === "GET" ? url.search.slice(1) : Buffer.concat(chunks).toString();
    const body = decodeForm(raw);
    const idempotencyKey = header(req, "idempotency-key");
    requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      body,
      idempotencyKey,
      authorization: header(req, "authorization"),
      stripeVersion: header(req, "stripe-version"),
    });
    // Stripe's idempotency: the same key answers the first response again.
    const replayKey = idempotencyKey && `${req.method} ${url.pathname} ${idempotencyKey}`;
    const replayed = replayKey ? replays.get(replayKey) : undefined;
    const answer = failure?.pattern.test(url.pathname)
      ? error(failure.status, "api_error", "stand-in failure")
      : (replayed ?? route(req.method ?? "GET", url.pathname, body));
    if (replayKey && !replayed && answer.status < 500) replays.set(replayKey, answer);
    res.writeHead(answer.status, {
      "content-type": "application/json",
      "request-id": nextId("req"),
      ...(replayed ? { "idempotent-replayed": "true" } : {}),
    });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (method, path) => requests.filter((r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path))),
    setSubscription: (subscription) => subscriptions.set(String(subscription.id), subscription),
    failRequests: (pattern, status = 500) => {
      failure = pattern && { pattern, status };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const error = (status: number, type: string, message: string) => ({ status, body: { error: { type, message } } });
const missing = (what: string, id: string) => ({
  status: 404,
  body: { error: { type: "invalid_request_error", code: "resource_missing", param: "id", message: `No such ${what}: '${id}'` } },
});

/** Stripe's form encoding back into objects: `a[b][0][c]=v` -> {a: {b: [{c: "v"}]}}. */
export function decodeForm(raw: string): Json {
  const out: Json = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const path = key.replace(/\]/g, "").split("[");
    let node: Record<string, unknown> | unknown[] = out;
    path.forEach((part, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!);
      const container = node as Record<string, unknown>;
      if (last) container[part] = value;
      else {
        container[part] ??= nextIsIndex ? [] : {};
        node = container[part] as Record<string, unknown>;
      }
    });
  }
  return out;
}

// Stripe objects and events as the pinned API version shapes them (only what the app reads,
// plus enough to look real).

export function subscriptionObject(options: {
  id: string;
  customer: string;
  price: string;
  status: string;
  periodEnd?: number;
  extraPrices?: string[];
}): Json {
  const periodEnd = options.periodEnd ?? now() + 30 * 86_400;
  const item = (price: string) => ({
    id: nextId("si"),
    object: "subscription_item",
    price: { id: price, object: "price", active: true, currency: "usd", type: "recurring" },
    quantity: 1,
    current_period_start: periodEnd - 30 * 86_400,
    current_period_end: periodEnd,
  });
  return {
    id: options.id,
    object: "subscription",
    customer: options.customer,
    status: options.status,
    cancel_at_period_end: false,
    created: now(),
    livemode: false,
    metadata: {},
    items: { object: "list", data: [item(options.price), ...(options.extraPrices ?? []).map(item)], has_more: false, url: "/v1/subscription_items" },
  };
}

export function stripeEvent(type: string, object: Json, options: { id?: string; created?: number } = {}): Json {
  return {
    id: options.id ?? nextId("evt"),
    object: "event",
    api_version: Stripe.API_VERSION,
    created: options.created ?? now(),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** A delivery as Stripe signs it: the raw body and its Stripe-Signature header. */
export function signedDelivery(event: Json, secret: string): { body: string; signature: string } {
  const body = JSON.stringify(event, null, 2);
  return { body, signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret }) };
}
