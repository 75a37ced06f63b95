import { deleteIssueRoute, getIssue, putIssue } from "../../../../_handlers/issue";

export const dynamic = "force-dynamic";

export { getIssue as GET, putIssue as PUT, deleteIssueRoute as DELETE };
