import nodemailer, { type Transporter } from "nodemailer";
import { env } from "./env";
import { logger } from "./logger";

let transport: Transporter | undefined;

/**
 * Sends a plain-text email through SMTP_URL. Without SMTP (a fresh self-hosted install) the
 * message, with its link, is logged instead, so nobody is locked out for want of a mail server.
 */
export async function sendMail(message: { to: string; subject: string; text: string }): Promise<void> {
  const smtp = env().SMTP_URL;
  if (!smtp) {
    logger.info({ mail: { to: message.to, subject: message.subject }, text: message.text }, "email not sent (SMTP_URL unset)");
    return;
  }
  transport ??= nodemailer.createTransport(smtp);
  await transport.sendMail({ from: env().SMTP_FROM, ...message });
}
