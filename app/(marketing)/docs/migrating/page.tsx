import type { Metadata } from "next";
import Link from "next/link";
import { env } from "@/lib/env";
import { Code, CodeBlock } from "../../_components/code-block";
import { PROSE } from "../_content";

export const metadata: Metadata = {
  title: "Migrating from Sentry or GlitchTip",
  description: "Move to errorhub by changing the DSN; copy projects and their keys with one command.",
};

export default function MigratingPage() {
  const ingest = new URL(env().INGEST_URL);
  const host = `${ingest.protocol}//<public key>@${ingest.host}`;
  return (
    <article className={PROSE}>
      <h1>Migrating from Sentry or GlitchTip</h1>
      <p>
        Your code stays as it is: the same SDK, the same calls, the same options. What changes is where the
        SDK sends, which is the DSN.
      </p>

      <h2 id="dsn">1. Change the DSN</h2>
      <p>
        Create the project in errorhub (or copy it, below), and replace the DSN wherever your app reads it,
        usually an environment variable such as <Code>SENTRY_DSN</Code>:
      </p>
      <CodeBlock
        label="Before and after"
        code={`# Sentry
SENTRY_DSN=https://0f1e2d3c4b5a69788796a5b4c3d2e1f0@o12345.ingest.sentry.io/4504123
# errorhub
SENTRY_DSN=${ingest.protocol}//0f1e2d3c4b5a69788796a5b4c3d2e1f0@${ingest.host}/17`}
      />
      <p>
        With projects copied by the command below, the key stays the same: only the host and the project id
        change. Deploy, and new errors arrive in errorhub; nothing else in the SDK's setup needs touching.
      </p>

      <h2 id="import">2. Copy projects and keys</h2>
      <p>
        On a self-hosted errorhub, one admin command copies every project of a Sentry (or GlitchTip)
        organization:
      </p>
      <CodeBlock
        label="Shell"
        testId="import-command"
        code="npm run admin -- import-sentry --url https://sentry.example.com --token T --org SLUG --into OURORG"
      />
      <ul>
        <li>
          <Code>--url</Code> is the Sentry or GlitchTip server (<Code>https://sentry.io</Code> for Sentry's
          own service), <Code>--org</Code> the organization's slug there, and <Code>--into</Code> the slug of
          your errorhub organization, which must exist.
        </li>
        <li>
          <Code>--token</Code> is an auth token there with the <Code>org:read</Code> and{" "}
          <Code>project:read</Code> scopes (in Sentry: User settings › Auth tokens, or an internal
          integration; in GlitchTip: Profile › Auth tokens). It is sent only to <Code>--url</Code>'s host.
        </li>
        <li>
          It reads the projects (following the API's paging) and each project's client keys, and creates the
          projects with the same slug, name and platform, and keys with the same public and secret key, label,
          state and rate limit.
        </li>
        <li>
          It can run again: what exists already is skipped, so a second run after adding projects copies just
          those. It prints what it did, and each project's new DSN.
        </li>
        <li>
          A key errorhub already uses for another project (a key can belong to only one) is not copied; a
          project left without a key gets a new one, and its DSN changes completely.
        </li>
      </ul>
      <CodeBlock
        label="What it prints"
        code={`importing projects of "acme" from https://sentry.example.com into "acme"
project backend: created (node)
  key 0f1e2d3c…: copied
project web: exists, skipped
  key 9a8b7c6d…: exists
2 projects: 1 created, 1 existed; 2 keys: 1 copied, 1 existed, 0 in use elsewhere
DSNs (only the host and project id change):
  backend  ${host}/17
  web      ${host}/18`}
      />
      <p>
        On the hosted service, create the projects from your dashboard instead and use the DSNs it shows; ask
        us if you have many to move.
      </p>

      <h2 id="what-moves">3. What moves, and what does not</h2>
      <ul>
        <li>Moved: projects (slug, name, platform) and their client keys.</li>
        <li>
          Not moved: past events and issues (new ones group as they arrive), members (invite them from
          Settings › Members), alert rules and integrations.
        </li>
      </ul>

      <h2 id="tools">4. Scripts and tools</h2>
      <p>
        Scripts written against Sentry's REST API can point at errorhub with an errorhub token: the supported
        routes answer in Sentry's shapes. See the <Link href="/docs/api">REST API</Link>.
      </p>
    </article>
  );
}
