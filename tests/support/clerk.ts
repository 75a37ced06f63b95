import { createHmac, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";

// Clerk, offline: an instance's signing key pair and session tokens shaped like Clerk's, and
// webhook deliveries signed as Svix signs them. Nothing here talks to Clerk.

export const FRONTEND_API = "clerk.example.com";
export const ISSUER = `https://${FRONTEND_API}`;
/** A production instance's key: no dev-browser handshake, as on the hosted service. */
export const PUBLISHABLE_KEY = `pk_live_${Buffer.from(`${FRONTEND_API}$`).toString("base64")}`;
export const SECRET_KEY = `sk_test_${randomBytes(16).toString("hex")}`;

/** Clerk signs session tokens with RS256 and a 2048-bit key (its PEM loader assumes that size). */
export function signingKeys() {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

export type SessionClaims = {
  sub: string;
  sid?: string;
  iat?: number;
  nbf?: number;
  exp?: number;
  azp?: string;
  iss?: string;
  v?: number;
  o?: { id: string; rol: string; slg: string };
  [claim: string]: unknown;
};

/** A v2 session token (RS256), valid for a minute unless the claims say otherwise. */
export function sessionToken(privateKey: KeyObject, claims: SessionClaims): string {
  const now = Math.floor(Date.now() / 1000);
  const header = encode({ alg: "RS256", typ: "JWT", kid: "ins_test" });
  const payload = encode({
    sid: `sess_${claims.sub}`,
    iat: now - 5,
    nbf: now - 10,
    exp: now + 60,
    iss: ISSUER,
    v: 2,
    ...claims,
  });
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), privateKey).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

export const webhookSecret = () => `whsec_${randomBytes(24).toString("base64")}`;

/** Headers of a Svix delivery: HMAC-SHA256 of `${id}.${timestamp}.${body}` with the secret's bytes. */
export function svixHeaders(
  secret: string,
  body: string,
  id = `msg_${randomBytes(8).toString("hex")}`,
): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return {
    "content-type": "application/json",
    "svix-id": id,
    "svix-timestamp": timestamp,
    "svix-signature": `v1,${signature}`,
  };
}

// Payloads as Clerk sends them (only the fields the mirror reads, plus a few for realism).

export function userPayload(
  id: string,
  email: string,
  options: { first?: string; last?: string; verified?: boolean } = {},
) {
  return {
    object: "user",
    id,
    first_name: options.first ?? null,
    last_name: options.last ?? null,
    primary_email_address_id: `idn_${id}`,
    email_addresses: [
      {
        object: "email_address",
        id: `idn_${id}`,
        email_address: email,
        verification: {
          status: options.verified === false ? "unverified" : "verified",
          strategy: "email_code",
        },
      },
    ],
  };
}

export function orgPayload(id: string, slug: string, name: string) {
  return { object: "organization", id, slug, name, created_at: Date.now(), updated_at: Date.now() };
}

export function membershipPayload(
  org: ReturnType<typeof orgPayload>,
  userId: string,
  email: string,
  role: string,
) {
  return {
    object: "organization_membership",
    id: `orgmem_${org.id}_${userId}`,
    role,
    organization: org,
    public_user_data: { user_id: userId, identifier: email, first_name: null, last_name: null },
  };
}

export function event(type: string, data: object) {
  return { object: "event", type, data, timestamp: Date.now(), instance_id: "ins_test" };
}
