import Link from "next/link";
import type { ReactNode } from "react";
import { Logo } from "../(marketing)/_components/logo";

/** Sign-in, sign-up and the emailed links: the page, and a way back to the site. */
export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <header className="px-4 py-3">
        <Link
          href="/"
          className="inline-flex items-center gap-2 text-lg font-semibold tracking-tight text-slate-900"
        >
          <Logo />
          errorhub
        </Link>
      </header>
      {children}
    </>
  );
}
