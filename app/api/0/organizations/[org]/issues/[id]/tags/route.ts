import { getIssueTags } from "../../../../../_handlers/issue";

export const dynamic = "force-dynamic";

export { getIssueTags as GET };
