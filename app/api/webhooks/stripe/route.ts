import { receiveStripeWebhook } from "@/lib/billing/webhooks";

export const dynamic = "force-dynamic";

// Stripe's webhooks. The signature over the raw body is the only authentication, so the body
// is read as text, untouched, and verified before anything else (lib/billing/webhooks.ts).
// 400 on a bad signature, 500 when applying failed (Stripe retries), 200 otherwise.
export async function POST(request: Request) {
  const { status, body } = await receiveStripeWebhook(await request.text(), request.headers.get("stripe-signature"));
  return Response.json(body, { status });
}
