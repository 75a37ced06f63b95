import type { Metadata } from "next";
import { unsafeListDeadLetters } from "@/lib/events/dead-letters";
import { ActionForm } from "../../_components/action-form";
import { discardDeadLetterAction, retryDeadLetterAction } from "../actions";
import { cell, ReadAt, Section, Table } from "../bits";
import { bytes, utcTime } from "../format";
import { requireOperator } from "../guard";

export const metadata: Metadata = { title: "Dead letters" };
export const dynamic = "force-dynamic";

const SHOWN = 200;
const small = "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 disabled:opacity-60";

/**
 * Items the worker could not store even alone (bisected out of their batch), newest first:
 * Retry puts one back on its project's stream once the cause is fixed, Discard drops it.
 */
export default async function DeadLettersPage() {
  await requireOperator();
  const letters = await unsafeListDeadLetters({ limit: SHOWN });
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <div className="flex items-baseline justify-between">
        <h1 className="text-2xl font-semibold">Dead letters</h1>
        <ReadAt />
      </div>
      <Section title={letters.length === SHOWN ? `Newest ${SHOWN}` : `${letters.length} kept`} testId="dead-letters">
        <Table head={["Item", "Project", "Error", "Size", "Kept at", ""]} empty="No dead letters." testId="dead-letter-rows">
          {letters.map((letter) => (
            <tr key={letter.id} data-testid="dead-letter" data-id={letter.id}>
              <td className={cell}>
                <div className="font-medium">{letter.itemType}</div>
                <div className="font-mono text-xs text-slate-500">{letter.eventId || letter.streamId}</div>
              </td>
              <td className={cell}>
                #{letter.projectId} <span className="text-xs text-slate-500">lane {letter.lane}</span>
              </td>
              <td className={`${cell} max-w-md whitespace-pre-wrap break-words font-mono text-xs text-red-800`}>{letter.error}</td>
              <td className={cell}>{bytes(letter.payloadSize)}</td>
              <td className={`${cell} whitespace-nowrap text-xs`}>{utcTime(letter.createdAt.getTime())}</td>
              <td className={`${cell} whitespace-nowrap`}>
                <div className="flex gap-1">
                  <ActionForm action={retryDeadLetterAction} className="inline">
                    <input type="hidden" name="id" value={letter.id} />
                    <button type="submit" className={small}>Retry</button>
                  </ActionForm>
                  <ActionForm action={discardDeadLetterAction} className="inline">
                    <input type="hidden" name="id" value={letter.id} />
                    <button type="submit" className={small}>Discard</button>
                  </ActionForm>
                </div>
              </td>
            </tr>
          ))}
        </Table>
      </Section>
    </main>
  );
}
