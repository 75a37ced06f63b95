import { apiAuthInfo } from "@/lib/api/auth-info";
import { errorResponse } from "@/lib/api/errors";

export const dynamic = "force-dynamic";

// Sentry's API root: sentry-cli's `info` reads the token's scopes and user here. Open without
// a token (auth and user are null), so it does not go through apiRoute.
export async function GET(request: Request): Promise<Response> {
  try {
    return Response.json({ version: "0", ...(await apiAuthInfo(request)) });
  } catch (error) {
    return errorResponse(error, request);
  }
}
