import { getIssueUserReports } from "../../../../../_handlers/issue";

export const dynamic = "force-dynamic";

export { getIssueUserReports as GET };
