import { getIssueEvent } from "../../../../../../_handlers/issue";

export const dynamic = "force-dynamic";

/** `latest`, `oldest`, `recommended` or an event id. */
export { getIssueEvent as GET };
