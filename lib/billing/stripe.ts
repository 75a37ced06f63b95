import type Stripe from "stripe";
import { env } from "../env";
import { AppError } from "../errors";

let client: Promise<Stripe> | undefined;

/**
 * The one Stripe client of this process. STRIPE_API_BASE (tests only) points the same client
 * at a local stand-in through the host/port/protocol options; nothing else differs.
 */
export async function stripe(): Promise<Stripe> {
  if (client) return client;
  const key = env().STRIPE_SECRET_KEY;
  if (!key) throw new AppError("bad_request", "billing is disabled on this installation");
  const base = env().STRIPE_API_BASE ? new URL(env().STRIPE_API_BASE!) : undefined;
  // Loaded with the first call: installs without billing never need the package, which costs
  // each process that loads it several MB.
  client = import("stripe").then(
    ({ default: Stripe }) =>
      new Stripe(key, {
        // The API version this stripe package was built and typed for: pinned, so the shapes the
        // code reads (items carry current_period_end, invoices name their subscription under
        // parent) cannot change under it when the account's default version moves. Upgrading
        // `stripe` moves it.
        apiVersion: Stripe.API_VERSION,
        maxNetworkRetries: 2,
        timeout: 20_000,
        telemetry: false,
        appInfo: { name: "errorhub" },
        ...(base && {
          host: base.hostname,
          port: base.port || (base.protocol === "https:" ? 443 : 80),
          protocol: base.protocol === "https:" ? "https" : "http",
        }),
      }),
  );
  return client;
}
