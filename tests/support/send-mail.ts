import { sendMail } from "@/lib/mail";

// Sends one email through lib/mail in a process of its own: `send-mail.ts <to> <text>`.
const [to = "someone@example.com", text = ""] = process.argv.slice(2);
await sendMail({ to, subject: "A test email", text });
