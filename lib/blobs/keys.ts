const KEY = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** Throws on a key that could escape the store (`..`, absolute, odd characters). */
export function assertBlobKey(key: string): string {
  if (!KEY.test(key) || key.split("/").some((part) => part === "." || part === "..")) {
    throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
  }
  return key;
}
