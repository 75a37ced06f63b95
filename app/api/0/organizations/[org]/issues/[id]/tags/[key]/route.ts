import { getIssueTag } from "../../../../../../_handlers/issue";

export const dynamic = "force-dynamic";

export { getIssueTag as GET };
