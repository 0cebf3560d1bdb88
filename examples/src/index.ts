export { Broadcaster } from "./broadcaster.ts";
export { TwoFactorSender } from "./two-factor.ts";
