import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "@/lib/env";

describe("billing configuration", () => {
  it("is off by default, with a 7-day grace period for failed payments", () => {
    const env = parseEnv({});
    expect(env.STRIPE_SECRET_KEY).toBeUndefined();
    expect(env.BILLING_PAST_DUE_GRACE_DAYS).toBe(7);
  });

  it("refuses a secret key without the webhook secret and plan prices", () => {
    expect(() => parseEnv({ STRIPE_SECRET_KEY: "sk_test_abc" })).toThrow(EnvError);
    try {
      parseEnv({ STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_PRICE_TEAM: "price_team" });
    } catch (error) {
      expect((error as Error).message).toMatch(/STRIPE_WEBHOOK_SECRET: must be set too/);
      expect((error as Error).message).toMatch(/STRIPE_PRICE_BUSINESS: must be set too/);
      expect((error as Error).message).not.toMatch(/STRIPE_PRICE_TEAM/);
    }
  });

  it("names malformed keys, prices and the API base", () => {
    let message = "";
    try {
      parseEnv({ STRIPE_SECRET_KEY: "pk_live_abc", STRIPE_PRICE_TEAM: "team", STRIPE_API_BASE: "localhost:12111", BILLING_PAST_DUE_GRACE_DAYS: "-1" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/STRIPE_SECRET_KEY: must be a Stripe secret or restricted key/);
    expect(message).toMatch(/STRIPE_PRICE_TEAM: must be a Stripe price id/);
    expect(message).toMatch(/STRIPE_API_BASE: must be an http\(s\) URL/);
    expect(message).toMatch(/BILLING_PAST_DUE_GRACE_DAYS/);
  });

  it("accepts a complete configuration", () => {
    const env = parseEnv({
      STRIPE_SECRET_KEY: "sk_live_abc",
      STRIPE_WEBHOOK_SECRET: "whsec_abc",
      STRIPE_PRICE_TEAM: "price_1Team",
      STRIPE_PRICE_BUSINESS: "price_1Business",
      STRIPE_METER_EVENT_NAME: "errorhub_errors",
      BILLING_PAST_DUE_GRACE_DAYS: "3",
    });
    expect(env).toMatchObject({ STRIPE_PRICE_TEAM: "price_1Team", BILLING_PAST_DUE_GRACE_DAYS: 3 });
  });
});
