import { SignOutButton } from "@clerk/nextjs";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { signOut } from "./sign-in/actions";

const BUTTON = "rounded border border-slate-300 px-3 py-1 hover:bg-slate-100";

/**
 * Who is signed in, and the way out. With Clerk the session lives in Clerk (and its cookies are
 * set by clerk-js), so Clerk's button ends it in the browser; otherwise our action does.
 */
export function SignOut({ email }: { email: string }) {
  if (clerkSettings()) {
    return (
      <div className="flex items-center gap-3 text-sm text-slate-600">
        <span>{email}</span>
        <SignOutButton redirectUrl="/sign-in">
          <button type="button" className={BUTTON}>
            Sign out
          </button>
        </SignOutButton>
      </div>
    );
  }
  return (
    <form action={signOut} className="flex items-center gap-3 text-sm text-slate-600">
      <span>{email}</span>
      <button type="submit" className={BUTTON}>
        Sign out
      </button>
    </form>
  );
}
