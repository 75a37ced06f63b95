import { deleteIssueRoute, getIssue, putIssue } from "../../_handlers/issue";

export const dynamic = "force-dynamic";

// Sentry's older path without the org: the token's org.
export { getIssue as GET, putIssue as PUT, deleteIssueRoute as DELETE };
