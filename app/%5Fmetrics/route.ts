import { answerMetrics } from "@/lib/metrics/endpoint";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  const { status, headers, body } = await answerMetrics("web", request.headers.get("authorization"));
  return new Response(body, { status, headers });
}
