/**
 * The platforms a project can be created for, with the setup the official Sentry SDK for it
 * needs: the one source for the onboarding page and the docs' quick starts. Only the DSN
 * changes from Sentry's own instructions; that is the whole point.
 */
export type Platform = {
  id: PlatformId;
  name: string;
  /** the shell command that installs the SDK */
  install: string;
  /** the language of `code`, for labelling */
  language: string;
  /** initialization code; `__DSN__` is replaced with the project's DSN */
  code: string;
  /** code that sends a first error, to see it arrive */
  verify: string;
};

export const PLATFORM_IDS = ["javascript", "node", "nextjs", "python", "ruby", "go", "java", "php", "other"] as const;
/** Checked when parsed (projectInputSchema); forms pass what the user picked. */
export type PlatformId = (typeof PLATFORM_IDS)[number];

const PLATFORMS: Platform[] = [
  {
    id: "javascript",
    name: "JavaScript (browser)",
    install: "npm install @sentry/browser",
    language: "javascript",
    code: `import * as Sentry from "@sentry/browser";

Sentry.init({
  dsn: "__DSN__",
  release: "my-app@1.0.0",
  environment: "production",
});`,
    verify: `Sentry.captureException(new Error("My first errorhub error"));`,
  },
  {
    id: "node",
    name: "Node.js",
    install: "npm install @sentry/node",
    language: "javascript",
    code: `// instrument.mjs: load it first, e.g. node --import ./instrument.mjs app.mjs
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: "__DSN__",
  release: "my-app@1.0.0",
  environment: "production",
});`,
    verify: `Sentry.captureException(new Error("My first errorhub error"));
await Sentry.flush(2000);`,
  },
  {
    id: "nextjs",
    name: "Next.js",
    install: "npm install @sentry/nextjs",
    language: "javascript",
    code: `// instrumentation-client.ts, sentry.server.config.ts and sentry.edge.config.ts
import * as Sentry from "@sentry/nextjs";

Sentry.init({
  dsn: "__DSN__",
  environment: process.env.NODE_ENV,
});`,
    verify: `Sentry.captureException(new Error("My first errorhub error"));`,
  },
  {
    id: "python",
    name: "Python",
    install: "pip install --upgrade sentry-sdk",
    language: "python",
    code: `import sentry_sdk

sentry_sdk.init(
    dsn="__DSN__",
    release="my-app@1.0.0",
    environment="production",
)`,
    verify: `division_by_zero = 1 / 0`,
  },
  {
    id: "ruby",
    name: "Ruby",
    install: "gem install sentry-ruby",
    language: "ruby",
    code: `require "sentry-ruby"

Sentry.init do |config|
  config.dsn = "__DSN__"
  config.release = "my-app@1.0.0"
  config.environment = "production"
end`,
    verify: `Sentry.capture_exception(StandardError.new("My first errorhub error"))`,
  },
  {
    id: "go",
    name: "Go",
    install: "go get github.com/getsentry/sentry-go",
    language: "go",
    code: `import "github.com/getsentry/sentry-go"

err := sentry.Init(sentry.ClientOptions{
	Dsn:         "__DSN__",
	Release:     "my-app@1.0.0",
	Environment: "production",
})
if err != nil {
	log.Fatalf("sentry.Init: %s", err)
}
defer sentry.Flush(2 * time.Second)`,
    verify: `sentry.CaptureException(errors.New("my first errorhub error"))`,
  },
  {
    id: "java",
    name: "Java",
    install: `# Gradle
implementation 'io.sentry:sentry:8.+'`,
    language: "java",
    code: `import io.sentry.Sentry;

Sentry.init(options -> {
  options.setDsn("__DSN__");
  options.setRelease("my-app@1.0.0");
  options.setEnvironment("production");
});`,
    verify: `Sentry.captureException(new Exception("My first errorhub error"));`,
  },
  {
    id: "php",
    name: "PHP",
    install: "composer require sentry/sentry",
    language: "php",
    code: `\\Sentry\\init([
    'dsn' => '__DSN__',
    'release' => 'my-app@1.0.0',
    'environment' => 'production',
]);`,
    verify: `\\Sentry\\captureException(new \\Exception('My first errorhub error'));`,
  },
  {
    id: "other",
    name: "Other",
    install: "Any Sentry SDK works: install the one for your language from docs.sentry.io.",
    language: "text",
    code: `Configure the SDK with this DSN:

__DSN__`,
    verify: `Capture an exception with the SDK's captureException (or equivalent).`,
  },
];

export function listPlatforms(): readonly Platform[] {
  return PLATFORMS;
}

export function platformById(id: string): Platform {
  return PLATFORMS.find((p) => p.id === id) ?? PLATFORMS.at(-1)!;
}

/** The platform's setup with the DSN filled in. */
export function setupFor(platformId: string, dsn: string): Platform {
  const platform = platformById(platformId);
  return { ...platform, code: platform.code.replaceAll("__DSN__", dsn) };
}
