import { PUBLISHABLE_KEY, SECRET_KEY } from "./clerk";

// Clerk configured in this test file's process. Import it FIRST in a test file, before anything
// from lib/: lib/env.ts reads the environment once, and lib/logger.ts does so as it is imported.
process.env.CLERK_SECRET_KEY = SECRET_KEY;
process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY = PUBLISHABLE_KEY;
