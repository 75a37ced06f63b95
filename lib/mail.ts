import type { Transporter } from "nodemailer";
import { env } from "./env";
import { logger } from "./logger";

let transport: Promise<Transporter> | undefined;

/**
 * Sends an email (plain text, and an HTML alternative when given) through SMTP_URL. Without SMTP the message is not sent, and its text
 * is not logged either: it carries one-time links (password reset, verification, invitation)
 * that anyone reading the logs could use. Only `npm run dev` (NODE_ENV=development) shows it,
 * so a developer can follow the link.
 */
export async function sendMail(message: { to: string; subject: string; text: string; html?: string }): Promise<void> {
  const smtp = env().SMTP_URL;
  if (!smtp) {
    const mail = { to: message.to, subject: message.subject };
    if (env().NODE_ENV === "development") {
      logger.info({ mail, text: message.text }, "email not sent (SMTP_URL unset); its text, shown in development only");
    } else {
      logger.warn(
        { mail },
        "email suppressed: SMTP_URL is unset. Set SMTP_URL (smtp://user:password@host:587) to send mail; " +
          "meanwhile `npm run admin -- reset-password --email E --password P` sets a password without one",
      );
    }
    return;
  }
  // Pooled: alert emails come in bursts (a new project's first issues), and a new SMTP
  // connection and handshake per message cost the worker more than the message itself.
  // Loaded on the first message: most processes never send one, and nodemailer costs each
  // process that loads it several MB.
  transport ??= import("nodemailer").then(({ default: nodemailer }) => nodemailer.createTransport({ url: smtp, pool: true }));
  await (await transport).sendMail({ from: env().SMTP_FROM, ...message });
}
