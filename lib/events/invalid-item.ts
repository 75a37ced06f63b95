import type { OutcomeReason } from "../usage/outcome-values";

/**
 * An item prepare refuses for what it says (a transaction without timestamps, say), not for a
 * failure of ours: counted as an invalid outcome with this reason and kept as a dead letter.
 */
export class InvalidItemError extends Error {
  constructor(
    readonly reason: OutcomeReason,
    message: string,
  ) {
    super(message);
    this.name = "InvalidItemError";
  }
}
