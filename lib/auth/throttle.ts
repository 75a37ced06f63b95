import { createHash } from "node:crypto";
import { AppError } from "../errors";
import { redis, redisKey } from "../redis";

// Counters in Redis with TTLs. Keys built from attacker-supplied text (emails) use a short
// digest, and addresses are cut to a fixed length, so a flood of odd input cannot grow them.

/** Sign-ins one (account, IP) pair may try before it has to wait. */
export const FREE_SIGN_IN_ATTEMPTS = 5;
/** The longest a pair waits: the delay doubles per further failure up to this. */
export const MAX_SIGN_IN_DELAY_SECONDS = 15 * 60;
/** A pair's failures are forgotten after this long without an attempt. */
const PAIR_MEMORY_SECONDS = 24 * 3600;
/** Sign-in attempts one IP may make across all accounts per window. */
export const MAX_SIGN_INS_PER_IP = 50;
const IP_WINDOW_SECONDS = 15 * 60;

// One atomic step, so parallel guesses cannot all slip in before the first failure is counted:
// every attempt counts as a failure until a success clears the pair. Returns the milliseconds
// to wait (0: go ahead).
const SIGN_IN_LUA = `
local now = tonumber(ARGV[1])
local perIp = redis.call('INCR', KEYS[2])
if perIp == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
if perIp > tonumber(ARGV[3]) then return math.max(redis.call('PTTL', KEYS[2]), 1000) end
local blockedUntil = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if blockedUntil > now then return blockedUntil - now end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local free = tonumber(ARGV[4])
if failures >= free then
  local delay = math.min(2 ^ (failures - free), tonumber(ARGV[5]))
  redis.call('HSET', KEYS[1], 'until', now + delay * 1000)
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
return 0
`;

/**
 * Reserves a sign-in attempt for this account from this IP. After FREE_SIGN_IN_ATTEMPTS
 * failures the pair waits 1 s, then 2 s, 4 s... up to MAX_SIGN_IN_DELAY_SECONDS; other IPs
 * are unaffected, so a stranger cannot lock the owner out. Returns the seconds to wait, or 0.
 */
export async function reserveSignIn(email: string, ip: string): Promise<number> {
  const waitMs = await redis().eval(
    SIGN_IN_LUA,
    2,
    pairKey(email, ip),
    redisKey("signin", "ip", throttleSubject(ip)),
    Date.now(),
    IP_WINDOW_SECONDS,
    MAX_SIGN_INS_PER_IP,
    FREE_SIGN_IN_ATTEMPTS,
    MAX_SIGN_IN_DELAY_SECONDS,
    PAIR_MEMORY_SECONDS,
  );
  return Math.ceil(Number(waitMs) / 1000);
}

/** A successful sign-in forgets the pair's failures. */
export async function clearSignInFailures(email: string, ip: string): Promise<void> {
  await redis().del(pairKey(email, ip));
}

const pairKey = (email: string, ip: string) => redisKey("signin", "pair", digest(email), throttleSubject(ip));

/** Emails a stranger can make us send: each is limited per IP and per recipient address. */
const MAIL_LIMITS = {
  sign_up: { perSender: 10, perAddress: 3 },
  password_reset: { perSender: 10, perAddress: 3 },
  invitation: { perSender: 30, perAddress: 3 },
} as const;
const MAIL_WINDOW_SECONDS = 3600;

/**
 * Counts one email of this kind from `sender` (an IP, or for invitations the inviting user) to
 * `address`; throws too_many_requests past either hourly limit. Counted whether or not the
 * address has an account, so the answer tells nothing about it.
 */
export async function throttleMail(kind: keyof typeof MAIL_LIMITS, sender: string, address: string): Promise<void> {
  const limits = MAIL_LIMITS[kind];
  const senderKey = redisKey("mail", kind, "from", throttleSubject(sender));
  const addressKey = redisKey("mail", kind, "to", digest(address));
  const results = await redis()
    .multi()
    .incr(senderKey)
    .expire(senderKey, MAIL_WINDOW_SECONDS, "NX")
    .incr(addressKey)
    .expire(addressKey, MAIL_WINDOW_SECONDS, "NX")
    .exec();
  const fromSender = Number(results?.[0]?.[1] ?? 0);
  const toAddress = Number(results?.[2]?.[1] ?? 0);
  if (fromSender > limits.perSender || toAddress > limits.perAddress) {
    throw new AppError("too_many_requests", "Too many emails requested. Try again in an hour.");
  }
}

const digest = (text: string) => createHash("sha256").update(text.trim().toLowerCase()).digest("base64url").slice(0, 22);

/**
 * The unit an IP is throttled as: an IPv4 address, or an IPv6 address's /64 (one host usually
 * has a whole /64 and could otherwise rotate through it). Cut to a bounded length.
 */
export function throttleSubject(ip: string): string {
  const address = ip.split("%")[0]!.slice(0, 64);
  if (!address.includes(":")) return address || "unknown";
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group, 16));
  if (prefix.length < 4 || prefix.some((n) => Number.isNaN(n))) return address;
  return `${prefix.map((n) => n.toString(16)).join(":")}::/64`;
}
