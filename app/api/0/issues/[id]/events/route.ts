import { getIssueEvents } from "../../../_handlers/issue";

export const dynamic = "force-dynamic";

export { getIssueEvents as GET };
