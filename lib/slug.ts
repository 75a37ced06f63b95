import { z } from "zod";

export const slugSchema = z
  .string()
  .min(1)
  .max(50)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "use lowercase letters, digits and dashes");
