import { getIssueEvent } from "../../../../_handlers/issue";

export const dynamic = "force-dynamic";

export { getIssueEvent as GET };
