import { getIssueTagValues } from "../../../../../_handlers/issue";

export const dynamic = "force-dynamic";

export { getIssueTagValues as GET };
