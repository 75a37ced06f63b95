import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PLACEHOLDER_DSN, placeholderSetup } from "@/lib/marketing/sources";
import { PLATFORM_IDS, listPlatforms, platformById } from "@/lib/projects/platforms";
import { Code, CodeBlock } from "../../../_components/code-block";
import { PROSE } from "../../_content";

type Props = { params: Promise<{ platform: string }> };

// One page per platform of platforms.ts, the same setup the onboarding page shows, with a
// placeholder where a project's DSN goes. Any other id is a 404 (checked in the page too: the
// root layout renders per request, so dynamicParams alone does not refuse unknown ids).
export const dynamicParams = false;

const known = (id: string) => (PLATFORM_IDS as readonly string[]).includes(id);

export function generateStaticParams() {
  return PLATFORM_IDS.map((platform) => ({ platform }));
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const platform = platformById((await params).platform);
  return {
    title: `Quick start: ${platform.name}`,
    description: `Send ${platform.name} errors to errorhub with the official Sentry SDK.`,
  };
}

export default async function QuickStartPage({ params }: Props) {
  const { platform } = await params;
  if (!known(platform)) notFound();
  const setup = placeholderSetup(platform);
  const others = listPlatforms().filter((p) => p.id !== setup.id);
  return (
    <article className={PROSE} data-testid={`quick-start-${setup.id}`}>
      <h1>Quick start: {setup.name}</h1>
      <p>
        {setup.id === "other"
          ? "errorhub speaks the Sentry protocol, so any Sentry SDK sends to it once its DSN points here."
          : `The official Sentry SDK for ${setup.name} sends to errorhub as it is: only the DSN changes.`}
      </p>
      <ol>
        <li>
          <Link href="/sign-up">Create an account</Link> (or sign in) and create a project for {setup.name}.
          Its page shows the project's DSN; keep it at hand.
        </li>
        <li>
          Install the SDK:
          <CodeBlock code={setup.install} label="Install" testId="quick-start-install" />
        </li>
        <li>
          Configure it, replacing <Code>{PLACEHOLDER_DSN}</Code> with your project's DSN:
          <CodeBlock code={setup.code} label={`Configure (${setup.language})`} testId="quick-start-code" />
        </li>
        <li>
          Send a first error to check everything is connected:
          <CodeBlock code={setup.verify} label="Send a test error" />
        </li>
        <li>
          Watch it arrive: your project's setup page turns live when the first event lands, and the issue
          shows in the issue list within seconds.
        </li>
      </ol>
      <h2>Next steps</h2>
      <ul>
        <li>
          Set <Code>release</Code> and <Code>environment</Code> in the SDK's options: issues then show which
          release brought them and reopen when a resolved one comes back.
        </li>
        <li>
          Check what the ingest accepts and its limits in{" "}
          <Link href="/docs/protocol">the protocol reference</Link>.
        </li>
        <li>
          Coming from Sentry? <Link href="/docs/migrating">Copy your projects and keys</Link>.
        </li>
      </ul>
      <h2>Other SDKs</h2>
      <ul>
        {others.map((p) => (
          <li key={p.id}>
            <Link href={`/docs/quick-start/${p.id}`}>{p.name}</Link>
          </li>
        ))}
      </ul>
    </article>
  );
}
