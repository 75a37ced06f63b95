/** The errorhub mark (the same drawing as app/icon.svg), decorative next to the name. */
export function Logo({ className = "h-7 w-7" }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#4f46e5" />
      <path d="M16 7 26 25H6Z" fill="none" stroke="#fff" strokeWidth="2.5" strokeLinejoin="round" />
      <path d="M16 14v5m0 2.5v.5" stroke="#fff" strokeWidth="2.5" strokeLinecap="round" />
    </svg>
  );
}
